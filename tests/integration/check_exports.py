#!/usr/bin/python3
"""Checks bphound exports with parsers that share no code with bphound.

usage: check_exports.py DIR SCHEMAS [--expect-title TEXT]...
                        [--expect-subject TEXT]...
DIR holds export.{json,graphml,gexf,dot,cytoscape,stix,csv} of one
clustering; SCHEMAS is shared/schemas (STIX 2.1 JSON schemas, GEXF XSD), or
"" when there are none (those checks then print SKIP).
When DIR/art/ exists it holds the same exports written with
--artifact-nodes (stix excepted), checked the same way plus their
artifact nodes and host-artifact edges against the JSON export's
"artifacts" list. When DIR/comm/ exists it holds exports of a clustering
with communities, checked the same way.

Host labels (titles, servers, cert_subjects, n_artifacts) of every format
are compared with the JSON export's "hosts" list, cleaned the way
docs/output.md says for that format; so is each host's community when
the JSON hosts have one, and when they have none no format may carry
one. --expect-title TEXT (the title as the scan recorded it) must
appear, cleaned for each format, among some host's titles in every
format (and as an artifact node's value in DIR/art/); --expect-subject
TEXT the same among some host's cert_subjects. STIX x509-certificate
subjects must be subjects the JSON hosts carry, and ipv4-addr
x_bphound_community the host's community.
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


def skip(what):
    """A check that needs the published schemas, which a bare clone lacks
    (tests/lib/schemas.sh): said once, visibly, never counted as passed."""
    if what not in skipped:
        skipped.add(what)
        print("SKIP " + what + " (no schemas: set BPH_SCHEMAS or put shared/schemas beside the clone)")


skipped = set()


LABEL_MAX = 1024  # BPH_EXPORT_LABEL_MAX


def xml_clean(s):
    """What bph_text_clean(BPH_TEXT_XML) leaves of an already valid string."""
    def ok(c):
        o = ord(c)
        if o < 0x20:
            return c in "\t\n\r"
        return o not in (0xFFFE, 0xFFFF) and not 0xD800 <= o <= 0xDFFF
    return "".join(c if ok(c) else "\ufffd" for c in s)


DOT_QUOTED_MAX = 16000  # cluster/export_dot.c: bytes between the quotes
CSV_CELL_MAX = 32000  # cluster/export_csv.c: bytes of a field


def dot_clean(s):
    """DOT: XML-clean, line breaks and tabs become spaces; a string longer
    than DOT_QUOTED_MAX bytes once '"' and '\\' are escaped is cut at a
    character before that, with "..."; graphviz keeps the backslash bphound
    doubles."""
    s = xml_clean(s)
    for c in "\t\n\r":
        s = s.replace(c, " ")
    if len(s.encode("utf-8")) + s.count('"') + s.count("\\") > DOT_QUOTED_MAX:
        room, out = DOT_QUOTED_MAX - 3, []
        for c in s:
            w = len(c.encode("utf-8")) + (c in '"\\')
            if w > room:
                break
            room -= w
            out.append(c)
        s = "".join(out) + "..."
    return s.replace("\\", "\\\\")


def csv_clean(s):
    """csv: XML-clean; a field a spreadsheet could run as a formula (it
    starts with = + - @ TAB or CR, or with = + - @ after blanks) gets a
    leading '; line breaks become spaces; a field over CSV_CELL_MAX bytes
    (its ' included) is cut at a character, with "..."."""
    s = xml_clean(s)
    quote = s[:1] in ("\t", "\r") or s.lstrip(" \t\r\n")[:1] in ("=", "+", "-", "@")
    for c in "\n\r":
        s = s.replace(c, " ")
    b = s.encode("utf-8")
    if len(b) > CSV_CELL_MAX - quote:
        s = b[:CSV_CELL_MAX - quote - 3].decode("utf-8", "ignore") + "..."
    return "'" + s if quote else s


def label_matches(got, values, clean):
    """got is the joined label of values (" | "), cleaned, maybe cut (the
    cut counts bytes before a format's escaping: DOT's doubled '\\')."""
    def raw_len(x):
        return len((x.replace("\\\\", "\\") if clean is dot_clean else x).encode("utf-8"))
    want = clean(" | ".join(values))
    if raw_len(want) <= LABEL_MAX:
        return got == want
    return (got.endswith("...") and raw_len(got) <= LABEL_MAX
            and want.startswith(got[:-3]))


LABELS = ("titles", "servers", "cert_subjects")


def check_labels(name, got, ref, clean, as_list=False):
    """got: host -> {titles, servers, cert_subjects, n_artifacts,
    community}; ref: the JSON's."""
    bad = []
    for h, r in ref.items():
        g = got.get(h, {})
        for k in LABELS:
            if as_list:
                ok = g.get(k) == r[k]
            else:
                ok = label_matches(g.get(k, ""), r[k], clean)
            if not ok:
                bad.append("%s %s %r" % (h, k, g.get(k)))
        if str(g.get("n_artifacts")) != str(r["n_artifacts"]):
            bad.append("%s n_artifacts %r" % (h, g.get("n_artifacts")))
    check(not bad, name + ": host titles, servers, cert_subjects, n_artifacts as the JSON's "
          + "; ".join(bad[:3]))
    check_communities(name, got, ref)


def check_communities(name, got, ref):
    """Each host's community as the JSON's; none anywhere when the JSON
    has none (a format may write "" for an absent value: csv)."""
    bad = []
    with_ref = any("community" in r for r in ref.values())
    for h, r in ref.items():
        g = got.get(h, {}).get("community")
        if with_ref and str(g) != str(r.get("community")):
            bad.append("%s community %r, want %r" % (h, g, r.get("community")))
        elif not with_ref and g not in (None, ""):
            bad.append("%s community %r without communities" % (h, g))
    check(not bad, name + (": host communities as the JSON's" if with_ref
                           else ": no community without communities")
          + " " + "; ".join(bad[:3]))


def check_expected(name, got, key, texts, clean):
    """Each expected text appears, cleaned, in some host's key label."""
    for t in texts:
        want = clean(t)
        seen = any(want in (g.get(key) if isinstance(g.get(key), str)
                            else " | ".join(g.get(key) or []))
                   for g in got.values())
        check(seen, "%s: hostile %s present, cleaned: %r" % (name, key, want[:80]))


def check_expected_labels(name, got, expect, clean):
    """expect: label key -> texts that must appear (titles, cert_subjects)."""
    for key, texts in expect.items():
        check_expected(name, got, key, texts, clean)


def host_part(g):
    """The host nodes (type host, or untyped) of a networkx graph."""
    return {n: a for n, a in g.nodes(data=True) if a.get("type", "host") == "host"}


def link_edges(g):
    return {frozenset(e[:2]) for e in g.edges(data=True)
            if e[2].get("rule") != "artifact" and e[2].get("type") != "artifact"}


def art_part(g):
    """Artifact nodes as (kind, value, hosts_sharing) -> node, and
    host-artifact edges as (host, kind, value)."""
    nodes = {n: (a.get("kind"), a.get("artifact_value"), int(a.get("hosts_sharing", -1)))
             for n, a in g.nodes(data=True) if a.get("type") == "artifact"}
    edges = set()
    for u, v, a in g.edges(data=True):
        if a.get("rule") != "artifact" and a.get("type") != "artifact":
            continue
        if u in nodes:
            u, v = v, u
        if v in nodes:
            edges.add((u,) + nodes[v][:2])
    return set(nodes.values()), edges


def ref_arts(j, clean):
    """The JSON export's artifacts, cleaned as a format writes them."""
    nodes = {(a["kind"], clean(a["value"]), a["hosts_sharing"]) for a in j.get("artifacts", [])}
    edges = {(h, a["kind"], clean(a["value"])) for a in j.get("artifacts", []) for h in a["hosts"]}
    return nodes, edges


def check_arts(name, got, j, clean):
    want = ref_arts(j, clean)
    check(got[0] == want[0], name + ": artifact nodes (kind, value, hosts_sharing) as the JSON's %d" % len(want[0]))
    check(got[1] == want[1], name + ": host-artifact edges as the JSON's %d" % len(want[1]))


def hosts_and_links(d):
    """Hosts and links of the bphound JSON export (the reference)."""
    with open(os.path.join(d, "export.json"), encoding="utf-8") as f:
        j = json.load(f)
    hosts = [h for c in j["clusters"] for h in c["hosts"]]
    links = {frozenset((l["a"], l["b"])) for c in j["clusters"] for l in c["links"]}
    return j, hosts, links


def check_json(j, hosts):
    check(len(hosts) == len(set(hosts)), "json: every host in exactly one cluster")
    info = j.get("hosts", [])
    check(sorted(h["ip"] for h in info) == sorted(hosts)
          and all({"cluster", "titles", "servers", "cert_subjects", "n_artifacts"} <= set(h)
                  for h in info),
          "json: hosts[] lists every host with cluster, titles, servers, cert_subjects, n_artifacts")
    comm = [h for h in info if "community" in h]
    check(not comm or (len(comm) == len(info)
                       and all(isinstance(h["community"], int) and h["community"] >= 1
                               for h in info)),
          "json: a community (integer >= 1) on every host or on none")
    check(all(set(c) == {"id", "hosts", "weak_bridge", "links"} for c in j["clusters"]),
          "json: clusters[] hold id, hosts, weak_bridge, links only")
    for a in j.get("artifacts", []):
        if len(a["hosts"]) != a["hosts_sharing"]:
            check(False, "json: artifact %s hosts_sharing %d != %d hosts"
                  % (a["kind"], a["hosts_sharing"], len(a["hosts"])))
    ok = all(set(e) >= {"kind", "value", "hosts_sharing", "weight", "rule"}
             for c in j["clusters"] for l in c["links"] for e in l["evidence"])
    check(ok, "json: evidence has kind, value, hosts_sharing, weight, rule")
    check("seed" in j and all({"id", "hosts", "links"} <= set(c) for c in j["clusters"]),
          "json: seed and clusters[id, hosts, links]")


def same_graph(g, hosts, links, name):
    check(set(host_part(g)) == set(hosts), name + ": same host nodes as the JSON export")
    check(link_edges(g) == links, name + ": same links as the JSON export")


def ref_labels(j):
    return {h["ip"]: h for h in j.get("hosts", [])}


KIND_OF = {"titles": "title", "cert_subjects": "cert_subject"}


def check_art_values(name, nodes, expect, clean):
    """Each expected label text is the value of an artifact node of its
    kind; nodes: (kind, value, hosts_sharing)."""
    for key, texts in expect.items():
        vals = {v for k, v, _ in nodes if k == KIND_OF[key] and v}
        for t in texts:
            check(any(clean(t) in v for v in vals),
                  "%s: hostile %s is an artifact node, cleaned" % (name, KIND_OF[key]))


def check_graph_extras(g, j, name, clean, expect):
    check_labels(name, host_part(g), ref_labels(j), clean)
    check_expected_labels(name, host_part(g), expect, clean)
    if "artifacts" in j:
        check_arts(name, art_part(g), j, clean)
        check_art_values(name, art_part(g)[0], expect, clean)


def check_graphml(d, j, hosts, links, expect):
    g = nx.read_graphml(os.path.join(d, "export.graphml"))
    same_graph(g, hosts, links, "graphml (networkx)")
    ok = all(isinstance(a.get("weight"), float) and "evidence" in a
             for _, _, a in g.edges(data=True) if a.get("rule") != "artifact")
    check(ok, "graphml: typed weight and evidence on every link")
    check_graph_extras(g, j, "graphml", xml_clean, expect)


def check_gexf(d, j, hosts, links, schemas, expect):
    path = os.path.join(d, "export.gexf")
    g = nx.read_gexf(path)
    same_graph(g, hosts, links, "gexf (networkx)")
    check_graph_extras(g, j, "gexf", xml_clean, expect)
    if not schemas:
        skip("gexf: xmllint --schema gexf-1.2/gexf.xsd")
        return
    xsd = os.path.join(schemas, "gexf-1.2", "gexf.xsd")
    r = subprocess.run(["xmllint", "--noout", "--schema", xsd, path], capture_output=True, text=True)
    check(r.returncode == 0, "gexf: xmllint --schema gexf-1.2/gexf.xsd " + r.stderr.strip()[-300:])


def dot_graph(path):
    """The DOT file as graphviz itself parsed it (dot -Tjson), as networkx."""
    r = subprocess.run(["dot", "-Tjson", path], capture_output=True)
    if r.returncode:
        return None
    j = json.loads(r.stdout.decode("utf-8"))
    g = nx.MultiGraph()
    names = {}
    for o in j.get("objects", []):
        names[o["_gvid"]] = o["name"]
        g.add_node(o["name"], **{k: v for k, v in o.items() if not k.startswith("_")})
    for e in j.get("edges", []):
        g.add_edge(names[e["tail"]], names[e["head"]],
                   **{k: v for k, v in e.items() if not k.startswith("_")})
    return g


def check_dot(d, j, hosts, links, expect):
    path = os.path.join(d, "export.dot")
    r = subprocess.run(["dot", "-Tsvg", path], capture_output=True)
    check(r.returncode == 0 and b"<svg" in r.stdout, "dot: dot -Tsvg parses it " + r.stderr.decode("utf-8", "replace")[-300:])
    r = subprocess.run(["dot", "-Tcanon", path], capture_output=True, text=True)
    check(all('"%s"' % h in r.stdout or h in r.stdout for h in hosts), "dot: every host is a node")
    g = dot_graph(path)
    check(g is not None, "dot: dot -Tjson parses it")
    if g is not None:
        same_graph(g, hosts, links, "dot (graphviz -Tjson)")
        check_graph_extras(g, j, "dot", dot_clean, expect)


def check_cytoscape(d, j, hosts, links, expect):
    with open(os.path.join(d, "export.cytoscape"), encoding="utf-8") as f:
        g = nx.cytoscape_graph(json.load(f))
    same_graph(g, hosts, links, "cytoscape (networkx cytoscape_graph)")
    check_labels("cytoscape", host_part(g), ref_labels(j), None, as_list=True)
    check_expected_labels("cytoscape", host_part(g), expect, lambda s: s)
    if "artifacts" in j:
        check_arts("cytoscape", art_part(g), j, lambda s: s)
        check_art_values("cytoscape", art_part(g)[0], expect, lambda s: s)


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


def check_stix_labels(bundle, j):
    """x509-certificate subjects are subjects of the JSON's hosts;
    ipv4-addr communities are their hosts' (absent without)."""
    ref = ref_labels(j)
    subjects = {s for h in ref.values() for s in h.get("cert_subjects", [])}
    certs = [o for o in bundle["objects"] if o["type"] == "x509-certificate"]
    check(all(o["subject"] in subjects for o in certs if "subject" in o),
          "stix: x509-certificate subjects are the hosts' cert_subjects")
    # the fixtures record every certificate with its subject
    check(not certs or any("subject" in o for o in certs),
          "stix: %d x509-certificate(s), %d with a subject"
          % (len(certs), sum("subject" in o for o in certs)))
    bad = [o["value"] for o in bundle["objects"] if o["type"] == "ipv4-addr"
           and o.get("x_bphound_community") != ref[o["value"]].get("community")]
    check(not bad, "stix: ipv4-addr x_bphound_community as the JSON's " + " ".join(bad[:3]))


def check_stix(d, schemas, hosts, j):
    with open(os.path.join(d, "export.stix"), encoding="utf-8") as f:
        bundle = json.load(f)
    if not schemas:
        skip("stix: the bundle and every object against the STIX 2.1 schemas")
        return
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
    check_stix_labels(bundle, j)


def check_csv(d, j, hosts, links, expect):
    with open(os.path.join(d, "export.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    check(rows[0][:2] == ["maltego.IPv4Address"] * 2, "csv: Maltego entity header")
    check(all(len(r) == len(rows[0]) for r in rows), "csv: every row has the header's columns")
    seen = {r[0] for r in rows[1:]} | {r[1] for r in rows[1:] if r[1]}
    check(seen == set(hosts), "csv: every host appears")
    col = {n: i for i, n in enumerate(rows[0])}
    body = [dict(zip(rows[0][2:], r[2:]), a=r[0], b=r[1]) for r in rows[1:]]
    check({frozenset((r["a"], r["b"])) for r in body if r["b"]} == links, "csv: same links as the JSON export")
    check(not any(c[:1] in ("=", "+", "-", "@") for r in rows for c in r), "csv: no field starts a formula")
    got = {}
    for r in body:
        for end in ("a", "b"):
            if r[end]:
                got[r[end]] = {k: r[end + "_" + k]
                               for k in LABELS + ("n_artifacts", "community")
                               if end + "_" + k in r}
    check_labels("csv", got, ref_labels(j), csv_clean)
    check_expected_labels("csv", got, expect, csv_clean)
    if "artifacts" in j:
        check("artifact_kind" in col, "csv: artifact columns in the header")
        arts = [r for r in body if r["rule"] == "artifact"]
        nodes = {(r["artifact_kind"], r["artifact_value"], int(r["hosts_sharing"])) for r in arts}
        edges = {(r["a"], r["artifact_kind"], r["artifact_value"]) for r in arts}
        check_arts("csv", (nodes, edges), j, csv_clean)


def check_dir(d, schemas, expect, stix=True):
    print("== " + d)
    j, hosts, links = hosts_and_links(d)
    check_json(j, hosts)
    check_expected_labels("json", ref_labels(j), expect, lambda s: s)
    check_graphml(d, j, hosts, links, expect)
    check_gexf(d, j, hosts, links, schemas, expect)
    check_dot(d, j, hosts, links, expect)
    check_cytoscape(d, j, hosts, links, expect)
    if stix:
        check_stix(d, schemas, hosts, j)
    check_csv(d, j, hosts, links, expect)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    d, schemas = sys.argv[1], sys.argv[2]
    expect = {"titles": [], "cert_subjects": []}
    opts = {"--expect-title": "titles", "--expect-subject": "cert_subjects"}
    args = sys.argv[3:]
    while args:
        if args[0] in opts and len(args) > 1:
            expect[opts[args[0]]].append(args[1])
            args = args[2:]
        else:
            print(__doc__, file=sys.stderr)
            return 2
    check_dir(d, schemas, expect)
    for sub in ("art", "comm", "long"):
        p = os.path.join(d, sub)
        if os.path.isdir(p):
            # long/: strings past graphviz's and spreadsheets' limits,
            # with formula-like fields; not the hostile title and subject
            want = {"titles": [], "cert_subjects": []} if sub == "long" else expect
            check_dir(p, schemas, want, stix=os.path.exists(os.path.join(p, "export.stix")))
    print("%d check(s) failed" % len(failures) if failures else "all export checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
