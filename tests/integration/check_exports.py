#!/usr/bin/python3
"""Checks bphound exports with parsers that share no code with bphound.

usage: check_exports.py DIR SCHEMAS
DIR holds export.{json,graphml,gexf,dot,cytoscape,stix,csv} of one
clustering; SCHEMAS is shared/schemas (STIX 2.1 JSON schemas, GEXF XSD).
Exits 0 when every check passes, 1 otherwise, naming each failure.
"""
import csv
import glob
import json
import os
import subprocess
import sys

import networkx as nx

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def hosts_and_links(d):
    """Hosts and links of the bphound JSON export (the reference)."""
    with open(os.path.join(d, "export.json"), encoding="utf-8") as f:
        j = json.load(f)
    hosts = [h for c in j["clusters"] for h in c["hosts"]]
    links = {frozenset((l["a"], l["b"])) for c in j["clusters"] for l in c["links"]}
    return j, hosts, links


def check_json(j, hosts):
    check(len(hosts) == len(set(hosts)), "json: every host in exactly one cluster")
    ok = all(set(e) >= {"kind", "value", "hosts_sharing", "weight", "rule"}
             for c in j["clusters"] for l in c["links"] for e in l["evidence"])
    check(ok, "json: evidence has kind, value, hosts_sharing, weight, rule")
    check("seed" in j and all({"id", "hosts", "links"} <= set(c) for c in j["clusters"]),
          "json: seed and clusters[id, hosts, links]")


def same_graph(g, hosts, links, name):
    check(set(g.nodes) == set(hosts), name + ": same nodes as the JSON export")
    check({frozenset(e[:2]) for e in g.edges} == links, name + ": same edges as the JSON export")


def check_graphml(d, hosts, links):
    g = nx.read_graphml(os.path.join(d, "export.graphml"))
    same_graph(g, hosts, links, "graphml (networkx)")
    ok = all(isinstance(a.get("weight"), float) and "evidence" in a for _, _, a in g.edges(data=True))
    check(ok, "graphml: typed weight and evidence on every edge")


def check_gexf(d, hosts, links, schemas):
    path = os.path.join(d, "export.gexf")
    g = nx.read_gexf(path)
    same_graph(g, hosts, links, "gexf (networkx)")
    xsd = os.path.join(schemas, "gexf-1.2", "gexf.xsd")
    r = subprocess.run(["xmllint", "--noout", "--schema", xsd, path], capture_output=True, text=True)
    check(r.returncode == 0, "gexf: xmllint --schema gexf-1.2/gexf.xsd " + r.stderr.strip()[-300:])


def check_dot(d, hosts):
    path = os.path.join(d, "export.dot")
    r = subprocess.run(["dot", "-Tsvg", path], capture_output=True)
    check(r.returncode == 0 and b"<svg" in r.stdout, "dot: dot -Tsvg parses it " + r.stderr.decode("utf-8", "replace")[-300:])
    r = subprocess.run(["dot", "-Tcanon", path], capture_output=True, text=True)
    check(all('"%s"' % h in r.stdout or h in r.stdout for h in hosts), "dot: every host is a node")


def check_cytoscape(d, hosts, links):
    with open(os.path.join(d, "export.cytoscape"), encoding="utf-8") as f:
        g = nx.cytoscape_graph(json.load(f))
    same_graph(g, hosts, links, "cytoscape (networkx cytoscape_graph)")


def stix_validator(schemas):
    import jsonschema
    root = os.path.join(schemas, "stix2.1", "schemas")
    store = {}
    for p in glob.glob(os.path.join(root, "*", "*.json")):
        with open(p, encoding="utf-8") as f:
            s = json.load(f)
        store[s["$id"]] = s
        store["file://" + os.path.abspath(p)] = s

    def validator(kind, name):
        path = os.path.abspath(os.path.join(root, kind, name + ".json"))
        schema = store["file://" + path]
        cls = jsonschema.validators.validator_for(schema)
        resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=store)
        return cls(schema, resolver=resolver)
    return validator


def check_stix(d, schemas, hosts):
    with open(os.path.join(d, "export.stix"), encoding="utf-8") as f:
        bundle = json.load(f)
    try:
        validator = stix_validator(schemas)
    except ImportError:
        check(False, "stix: python3-jsonschema is not installed")
        return
    where = {"infrastructure": "sdos", "relationship": "sros",
             "ipv4-addr": "observables", "x509-certificate": "observables"}
    errs = [e.message for e in validator("common", "bundle").iter_errors(bundle)]
    check(not errs, "stix: bundle.json " + "; ".join(errs[:3]))
    for o in bundle["objects"]:
        errs = [e.message for e in validator(where[o["type"]], o["type"]).iter_errors(o)]
        check(not errs, "stix: %s %s %s" % (o["type"], o["id"], "; ".join(errs[:3])))
        custom = [k for k in o if k.startswith("x") and not k.startswith("x_")]
        check(not custom, "stix: custom properties are x_-prefixed in " + o["id"])
    ids = [o["id"] for o in bundle["objects"]]
    check(len(ids) == len(set(ids)), "stix: ids are unique")
    import uuid
    ns = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
    for o in bundle["objects"]:
        if o["type"] == "ipv4-addr":
            want = "ipv4-addr--%s" % uuid.uuid5(ns, json.dumps({"value": o["value"]}, separators=(",", ":"), sort_keys=True))
            check(o["id"] == want, "stix: deterministic id of " + o["value"])
    refs = {o["source_ref"] for o in bundle["objects"] if o["type"] == "relationship"}
    refs |= {o["target_ref"] for o in bundle["objects"] if o["type"] == "relationship"}
    check(refs <= set(ids), "stix: every relationship end is in the bundle")


def check_csv(d, hosts, links):
    with open(os.path.join(d, "export.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    check(rows[0][:2] == ["maltego.IPv4Address"] * 2, "csv: Maltego entity header")
    check(all(len(r) == len(rows[0]) for r in rows), "csv: every row has the header's columns")
    seen = {r[0] for r in rows[1:]} | {r[1] for r in rows[1:] if r[1]}
    check(seen == set(hosts), "csv: every host appears")
    check({frozenset(r[:2]) for r in rows[1:] if r[1]} == links, "csv: same links as the JSON export")
    check(not any(c[:1] in ("=", "+", "-", "@") for r in rows for c in r), "csv: no field starts a formula")


def main():
    d, schemas = sys.argv[1], sys.argv[2]
    j, hosts, links = hosts_and_links(d)
    check_json(j, hosts)
    check_graphml(d, hosts, links)
    check_gexf(d, hosts, links, schemas)
    check_dot(d, hosts)
    check_cytoscape(d, hosts, links)
    check_stix(d, schemas, hosts)
    check_csv(d, hosts, links)
    print("%d check(s) failed" % len(failures) if failures else "all export checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
