#!/usr/bin/python3
"""communities_check.py - checks bphound's communities (--communities).

communities_check.py check CLUSTERS.json REPORT.txt METHOD MIN RESOLUTION
    CLUSTERS.json is `bphound cluster --json`, REPORT.txt the text report
    of the same store with --communities METHOD --community-min MIN
    --resolution RESOLUTION. For every cluster of at least MIN hosts the
    report's communities must partition the cluster's hosts, numbered in
    cluster order then by smallest address; the modularity of the
    partition (networkx, link score as weight, same resolution) must be
    positive (better than no split) and within 0.03 of the best of three
    networkx Louvain runs, an independent implementation, and above 0.3
    for the best-structured cluster; with leiden every community must be
    connected. Smaller clusters must not be listed, the report's total
    must add up, and the JSON hosts' "community" attribute, when the
    exporters write one, must agree with the report.
communities_check.py bridges TRUTH.json OUT.jsonl
    Writes records that join the 12 largest providers of a
    bench/gen_population.py truth in a chain, one false shared certificate
    between neighbours: the chaining error communities are for.
communities_check.py precision TRUTH.json CLUSTERS.json REPORT.txt
    Pairwise precision and recall of the components and of the report's
    communities against the truth; fails unless the communities undo the
    chaining (precision >= 0.95 where the components' is below 0.8) while
    keeping recall (at least 0.9 of the components').
"""
import hashlib
import json
import random
import re
import sys
from collections import Counter

import networkx as nx
from networkx.algorithms import community as nxc

TOLERANCE = 0.03
MIN_MODULARITY = 0.3
THRESHOLD = 3.0  # bphound's default: the weight of a zero-score link


def parse_report(path):
    """{cluster id: [[ips of community], ...]} and the total line's count."""
    split, cur, total = {}, None, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^cluster (\d+): (\d+) hosts in (\d+) communities", line)
        if m:
            cur = int(m.group(1))
            split[cur] = {"size": int(m.group(2)), "n": int(m.group(3)),
                          "parts": [], "ids": []}
            continue
        m = re.match(r"^cluster (\d+): (\d+) hosts, one community", line)
        if m:
            cur = int(m.group(1))
            split[cur] = {"size": int(m.group(2)), "n": 1, "parts": None,
                          "ids": []}
            continue
        m = re.match(r"^  community (\d+): (\d+) hosts?: (.*)$", line)
        if m and cur is not None:
            ips = m.group(3).split()
            if len(ips) != int(m.group(2)):
                sys.exit("community %s: %s hosts announced, %d listed"
                         % (m.group(1), m.group(2), len(ips)))
            split[cur]["parts"].append(ips)
            split[cur]["ids"].append(int(m.group(1)))
            continue
        m = re.match(r"^(\d+) communities in all", line)
        if m:
            total = int(m.group(1))
    return split, total


def cluster_graph(cl):
    g = nx.Graph()
    g.add_nodes_from(cl["hosts"])
    for link in cl["links"]:
        w = link["score"] if link["score"] > 0 else THRESHOLD
        g.add_edge(link["a"], link["b"], weight=w)
    return g


def check_split(cl, rep, method, gamma):
    """Returns a list of failures for one split cluster."""
    bad = []
    parts = [set(p) for p in rep["parts"]]
    hosts = set(cl["hosts"])
    if len(parts) != rep["n"]:
        bad.append("%d communities announced, %d listed"
                   % (rep["n"], len(parts)))
    if sum(len(p) for p in parts) != len(hosts) or set().union(*parts) != hosts:
        return bad + ["communities are not a partition of the cluster"], 0
    if rep["ids"] != list(range(rep["ids"][0], rep["ids"][0] + len(parts))):
        bad.append("ids not consecutive: %s" % rep["ids"])
    firsts = [min(p, key=ip_key) for p in rep["parts"]]
    if firsts != sorted(firsts, key=ip_key):
        bad.append("communities not numbered by smallest address")
    g = cluster_graph(cl)
    q = nxc.modularity(g, parts, weight="weight", resolution=gamma)
    ref = max(nxc.modularity(g, nxc.louvain_communities(
        g, weight="weight", resolution=gamma, seed=s), weight="weight",
        resolution=gamma) for s in range(3))
    print("cluster %d: %d hosts, %d communities, modularity %.4f "
          "(networkx louvain %.4f)" % (cl["id"], len(hosts), len(parts), q,
                                       ref))
    if not q > 0:  # one community scores 0: a split must beat it
        bad.append("modularity %.4f: no better than no split" % q)
    if q < ref - TOLERANCE:
        bad.append("modularity %.4f below networkx's %.4f - %.2f"
                   % (q, ref, TOLERANCE))
    if method == "leiden":
        for p in parts:
            if not nx.is_connected(g.subgraph(p)):
                bad.append("leiden community of %s is not connected"
                           % min(p, key=ip_key))
    return bad, q


def ip_key(ip):
    return tuple(int(x) for x in ip.split("."))


def check_json_communities(doc, split):
    """The exporters' "community" host attribute, when present."""
    hosts = doc.get("hosts", [])
    if not hosts or "community" not in hosts[0]:
        print("JSON hosts carry no community attribute: not compared")
        return []
    bad = []
    of = {h["ip"]: h["community"] for h in hosts}
    for cid, rep in split.items():
        for i, ips in zip(rep["ids"], rep["parts"] or []):
            if any(of[ip] != i for ip in ips):
                bad.append("cluster %d: JSON community differs from the "
                           "report's %d" % (cid, i))
    for cl in doc["clusters"]:
        ids = {of[ip] for ip in cl["hosts"]}
        if cl["id"] not in split and len(ids) != 1:
            bad.append("cluster %d (not split) has communities %s"
                       % (cl["id"], sorted(ids)))
    return bad


def check(args):
    doc = json.load(open(args[0], encoding="utf-8"))
    split, total = parse_report(args[1])
    method, min_size, gamma = args[2], int(args[3]), float(args[4])
    by_id = {cl["id"]: cl for cl in doc["clusters"]}
    bad = []
    large = {cid for cid, cl in by_id.items() if len(cl["hosts"]) >= min_size}
    if set(split) != large:
        bad.append("clusters reported %s, clusters of >= %d hosts %s"
                   % (sorted(split), min_size, sorted(large)))
    if not any(rep["n"] > 1 for rep in split.values()):
        bad.append("no cluster was split: nothing was checked")
    best = 0
    for cid, rep in sorted(split.items()):
        if rep["parts"] is not None and cid in by_id:
            b, q = check_split(by_id[cid], rep, method, gamma)
            bad += b
            best = max(best, q)
    if best < MIN_MODULARITY:  # the providers' templates are communities
        bad.append("best modularity %.4f below %.2f" % (best,
                                                         MIN_MODULARITY))
    next_id = 1  # ids follow cluster order, one per unsplit cluster
    for cid in sorted(by_id):
        rep = split.get(cid)
        if rep and rep["ids"] and rep["ids"][0] != next_id:
            bad.append("cluster %d: first community %d, expected %d"
                       % (cid, rep["ids"][0], next_id))
        next_id += rep["n"] if rep else 1
    if total != next_id - 1:
        bad.append("total %s communities, expected %d" % (total,
                                                          next_id - 1))
    bad += check_json_communities(doc, split)
    for b in bad:
        print("FAIL:", b)
    if bad:
        sys.exit(1)
    print("communities_check: %s, resolution %g, %d clusters split, "
          "%d communities: ok" % (method, gamma, sum(
              rep["n"] > 1 for rep in split.values()), total))


def providers(truth):
    by = {}
    unlinkable = set(truth.get("unlinkable", []))
    for ip, label in truth["labels"].items():
        if label.startswith("prov-") and ip not in unlinkable:
            by.setdefault(label, []).append(ip)
    return [sorted(by[p]) for p in sorted(by, key=lambda p: (-len(by[p]), p))]


def bridges(args):
    truth = json.load(open(args[0], encoding="utf-8"))
    provs = providers(truth)[:12]
    rng = random.Random(5)
    with open(args[1], "w", encoding="utf-8") as f:
        for i in range(len(provs) - 1):
            h = hashlib.sha256(b"bridge-%d" % i).hexdigest()
            for ip in (rng.choice(provs[i]), rng.choice(provs[i + 1])):
                rec = {"ip": ip, "port": 8443, "state": "open",
                       "seen": 1795000000, "proto": "tls",
                       "tls": {"cert_sha256": h, "spki_sha256": h[::-1],
                               "subject": "CN=bridge", "issuer": "CN=bridge",
                               "self_signed": True}}
                f.write(json.dumps(rec) + "\n")


def pairs(labels, groups):
    """(pairwise precision, recall) of groups (lists of ips)."""
    def c2(n):
        return n * (n - 1) // 2
    pred = {ip: i for i, g in enumerate(groups) for ip in g}
    cells = Counter((labels[ip], pred[ip]) for ip in pred)
    tp = sum(c2(n) for n in cells.values())
    pp = sum(c2(len(g)) for g in groups)
    tt = sum(c2(n) for n in Counter(labels[ip] for ip in pred).values())
    return tp / pp if pp else 1.0, tp / tt if tt else 1.0


def precision(args):
    labels = json.load(open(args[0], encoding="utf-8"))["labels"]
    doc = json.load(open(args[1], encoding="utf-8"))
    split, _ = parse_report(args[2])
    comps = [cl["hosts"] for cl in doc["clusters"]]
    comms = []
    for cl in doc["clusters"]:
        rep = split.get(cl["id"])
        comms += rep["parts"] if rep and rep["parts"] else [cl["hosts"]]
    p0, r0 = pairs(labels, comps)
    p1, r1 = pairs(labels, comms)
    print("components: pairwise precision %.4f recall %.4f; communities: "
          "precision %.4f recall %.4f" % (p0, r0, p1, r1))
    if not (p0 < 0.8 and p1 >= 0.95 and r1 >= 0.9 * r0):
        sys.exit("FAIL: the communities did not undo the chaining")


def main():
    cmds = {"check": (check, 5), "bridges": (bridges, 2),
            "precision": (precision, 3)}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds or \
            len(sys.argv) - 2 != cmds[sys.argv[1]][1]:
        sys.exit(__doc__)
    cmds[sys.argv[1]][0](sys.argv[2:])


if __name__ == "__main__":
    main()
