"""Compares a bphound pivot against the lab's ground truth and the oracles.

usage: check_pivot.py truth.json pivot.json scan.jsonl oracle.txt pivot.graphml
Exits non-zero with a message per mismatch. Runs under Debian's python3.
"""
import json
import sys


def fail(errors, msg):
    errors.append(msg)
    print("MISMATCH:", msg)


def check_clusters(truth, pivot, errors):
    want = {frozenset(c) for c in truth["clusters"]}
    got = {frozenset(c["hosts"]) for c in pivot["clusters"] if len(c["hosts"]) > 1}
    if want != got:
        fail(errors, "clusters: want %s, got %s" % (
            sorted(map(sorted, want)), sorted(map(sorted, got))))
    seen = {}
    for c in pivot["clusters"]:
        for h in c["hosts"]:
            seen[h] = seen.get(h, 0) + 1
    dup = [h for h, n in seen.items() if n != 1]
    if dup:
        fail(errors, "hosts in more than one cluster: %s" % dup)
    answering = {h["ip"] for h in truth["hosts"] if h["open_ports"]}
    missing = answering - set(seen)
    if missing:
        fail(errors, "answering hosts absent from every cluster: %s" % sorted(missing))
    for c in pivot["clusters"]:
        for link in c.get("links", []):
            if not link.get("evidence"):
                fail(errors, "link %s-%s has no evidence" % (link["a"], link["b"]))


def check_ports(truth, records, errors):
    want = {(h["ip"], p) for h in truth["hosts"] for p in h["open_ports"]}
    got = {(r["ip"], r["port"]) for r in records if r.get("state") == "open"}
    if want - got:
        fail(errors, "open ports not found: %s" % sorted(want - got))
    if got - want:
        fail(errors, "ports reported open that are not: %s" % sorted(got - want))


def check_oracles(records, oracle_path, errors):
    oracle = {}
    for line in open(oracle_path):
        ip, port, kind, value = line.split()
        oracle.setdefault((ip, int(port), kind), set()).add(value)
    checked = 0
    for r in records:
        key = (r["ip"], r["port"])
        if "ssh" in r:
            ours = {k["sha256"] for k in r["ssh"].get("hostkeys", [])}
            theirs = oracle.get(key + ("ssh",), set())
            if not theirs or ours != theirs:
                fail(errors, "ssh host keys of %s:%d: bphound %s, ssh-keyscan %s"
                     % (key + (sorted(ours), sorted(theirs))))
            checked += 1
        if "tls" in r:
            ours = {r["tls"].get("cert_sha256")}
            theirs = oracle.get(key + ("tls",), set())
            if ours != theirs:
                fail(errors, "certificate of %s:%d: bphound %s, openssl %s"
                     % (key + (ours, theirs)))
            checked += 1
    if checked == 0:
        fail(errors, "no SSH or TLS service was compared with an oracle")
    return checked


def check_graphml(path, pivot, errors):
    import networkx
    g = networkx.read_graphml(path)
    comps = {frozenset(g.nodes[n].get("label", n) for n in comp)
             for comp in networkx.connected_components(g.to_undirected())
             if len(comp) > 1}
    want = {frozenset(c["hosts"]) for c in pivot["clusters"] if len(c["hosts"]) > 1}
    host_comps = {frozenset(h for h in c if h[0].isdigit()) for c in comps}
    host_comps.discard(frozenset())
    if not want <= host_comps and want != host_comps:
        fail(errors, "graphml components %s differ from clusters %s" % (
            sorted(map(sorted, host_comps)), sorted(map(sorted, want))))


def main():
    truth = json.load(open(sys.argv[1]))
    pivot = json.load(open(sys.argv[2]))
    records = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
    errors = []
    check_clusters(truth, pivot, errors)
    check_ports(truth, records, errors)
    n = check_oracles(records, sys.argv[4], errors)
    check_graphml(sys.argv[5], pivot, errors)
    if errors:
        print("pivot_lab: %d mismatches" % len(errors))
        sys.exit(1)
    print("pivot_lab: clusters equal the ground truth; %d open services; "
          "%d fingerprints equal the oracles" % (len(records), n))


if __name__ == "__main__":
    main()
