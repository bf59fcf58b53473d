#!/usr/bin/python3
"""check_data.py - independent readers for tests/integration/data_cli.sh:
the fixture files parsed again here with the standard library (ipaddress
for every address question), and bphound's JSON checked against them.

usage:
  check_data.py world DIR            write a random pfx2as, a random list
                                     and hosts.jsonl into DIR (seeded)
  check_data.py lpm DIR CLUSTER.json each host's routing.prefix and list
                                     hits against a brute-force scan
  check_data.py asinfo FIXTURES AS.json
  check_data.py rank FIXTURES RANK.jsonl
  check_data.py expand FIXTURES ASN EXPANDED.txt
  check_data.py lab LABFIXTURES TRUTH.json PIVOT.json
Exits 1 with a message on the first difference.
"""
import ipaddress
import json
import os
import random
import sys


def fail(msg):
    print("check_data: " + msg, file=sys.stderr)
    sys.exit(1)


def lines(path):
    with open(path, newline="") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            if line.strip() and not line.lstrip().startswith(("#", ";")):
                yield line


def pfx2as(path):
    """[(network, [origins...])] in file order; bad lines skipped."""
    out = []
    for line in lines(path):
        f = line.split("\t")
        if len(f) != 3:
            continue
        try:
            net = ipaddress.ip_network("%s/%s" % (f[0], f[1]), strict=False)
            origins = [int(a) for g in f[2].split("_") for a in g.split(",")]
        except ValueError:
            continue
        out.append((net, origins))
    return out


def lpm(nets, addr):
    best = None
    for i, (n, _) in enumerate(nets):
        if n.version == addr.version and addr in n and (
                best is None or n.prefixlen > nets[best][0].prefixlen):
            best = i
    return best


# ---- a random world for the longest-prefix match ----

def world(d):
    rng = random.Random(7)
    nets = set()
    while len(nets) < 1500:
        base = ipaddress.ip_address("10.0.0.0") + rng.randrange(1 << 20)
        n = ipaddress.ip_network("%s/%d" % (base, rng.choice(
            [12, 14, 16, 18, 20, 22, 24, 24, 25, 27, 30, 32])), strict=False)
        nets.add(n)
    with open(os.path.join(d, "rand-20261206.pfx2as"), "w") as f:
        for n in sorted(nets, key=lambda n: (int(n.network_address),
                                               n.prefixlen)):
            f.write("%s\t%d\t%d\n" % (n.network_address, n.prefixlen,
                                        64512 + rng.randrange(200)))
    listed = set()
    while len(listed) < 300:
        base = ipaddress.ip_address("10.0.0.0") + rng.randrange(1 << 20)
        listed.add(ipaddress.ip_network("%s/%d" % (base, rng.choice(
            [16, 20, 24, 28, 32])), strict=False))
    with open(os.path.join(d, "rand.netset"), "w") as f:
        f.write("# FireHOL-style netset\n# ipv4 hash:net ipset\n")
        for n in sorted(listed):
            f.write("%s\n" % n)
    with open(os.path.join(d, "hosts.jsonl"), "w") as f:
        for i in range(400):
            ip = ipaddress.ip_address("10.0.0.0") + rng.randrange(1 << 21)
            f.write(json.dumps({"ip": str(ip), "port": 22, "state": "open",
                                "ssh": {"banner": "SSH-2.0-x",
                                        "hostkeys": [{"type": "ssh-ed25519",
                                                      "sha256": "SHA256:k%d" % i}]}})
                    + "\n")


def check_lpm(d, cluster_json):
    nets = pfx2as(os.path.join(d, "rand-20261206.pfx2as"))
    lists = [ipaddress.ip_network(l) for l in lines(os.path.join(d, "rand.netset"))]
    doc = json.load(open(cluster_json))
    checked = 0
    for h in doc["hosts"]:
        a = ipaddress.ip_address(h["ip"])
        i = lpm(nets, a)
        got = h.get("routing", {}).get("prefix")
        want = str(nets[i][0]) if i is not None else None
        if got != want:
            fail("%s: routing.prefix %s, the longest match is %s" % (a, got, want))
        if want and h["routing"]["origins"] != nets[i][1]:
            fail("%s: origins %s != %s" % (a, h["routing"]["origins"], nets[i][1]))
        hits = sorted(x["entry"] for x in h.get("listed", []))
        covering = sorted(str(n) for n in lists if a in n)
        if hits != covering:
            fail("%s: listed %s, covering entries %s" % (a, hits, covering))
        checked += 1
    if checked < 400:
        fail("only %d hosts in the report" % checked)
    print("lpm: %d hosts: prefixes, origins and list hits equal ipaddress's"
          % checked)


# ---- asinfo, rank, expand against the unit fixtures ----

def asrel(path):
    rels = []
    for line in lines(path):
        f = line.split("|")
        if len(f) >= 3 and f[0].isdigit() and f[1].isdigit() and f[2] in ("-1", "0"):
            rels.append((int(f[0]), int(f[1]), int(f[2])))
    return rels


def check_asinfo(fx, path):
    doc = json.load(open(path))
    asn = doc["asn"]
    rels = asrel(os.path.join(fx, "20261201.as-rel2.txt"))
    # "A|B|-1": A is B's provider
    want = {"providers": sorted({a for a, b, r in rels if b == asn and r == -1}),
            "customers": sorted({b for a, b, r in rels if a == asn and r == -1}),
            "peers": sorted({b for a, b, r in rels if a == asn and r == 0} |
                            {a for a, b, r in rels if b == asn and r == 0})}
    for k, v in want.items():
        got = [x["asn"] for x in doc[k]]
        if got != v:
            fail("asinfo %s: %s %s, the file says %s" % (asn, k, got, v))
    nets = pfx2as(os.path.join(fx, "routeviews-rv2-20261206-1200.pfx2as"))
    prefixes = sorted((str(n) for n, o in nets if asn in o),
                      key=lambda s: (ipaddress.ip_network(s).version,
                                     ipaddress.ip_network(s)))
    if doc["prefixes"] != prefixes:
        fail("asinfo %s: prefixes %s != %s" % (asn, doc["prefixes"], prefixes))
    orgs = {}
    for line in lines(os.path.join(fx, "20261001.as-org2info.txt")):
        f = line.split("|")
        if len(f) == 6 and f[0].isdigit():
            orgs[int(f[0])] = f[3]
    sib = sorted(a for a, o in orgs.items() if o == orgs.get(asn) and a != asn)
    if [x["asn"] for x in doc["siblings"]] != sib:
        fail("asinfo %s: siblings %s != %s" % (asn, doc["siblings"], sib))
    print("asinfo AS%d: providers %s, customers %s, peers %s, prefixes and "
          "siblings equal the files" % (asn, want["providers"],
                                        want["customers"], want["peers"]))


def list_entries(fx):
    """The v4 entries of each list of the rank store, by list name."""
    out = {"spamhaus-drop": [], "example_level1": [], "dshield": [], "plain": []}
    for line in open(os.path.join(fx, "drop_v4.json")):
        o = json.loads(line)
        try:
            out["spamhaus-drop"].append(ipaddress.ip_network(o["cidr"]))
        except (KeyError, ValueError):
            pass
    for name, f in (("example_level1", "example_level1.netset"),
                    ("plain", "plain.txt")):
        for line in lines(os.path.join(fx, f)):
            tok = line.split()[0]
            try:
                n = ipaddress.ip_network(tok, strict=False)
            except ValueError:
                continue
            if n.version == 4:
                out[name].append(n)
    for line in lines(os.path.join(fx, "block.txt")):
        f = line.split("\t")
        try:
            a, b = ipaddress.ip_address(f[0]), ipaddress.ip_address(f[1])
        except (ValueError, IndexError):
            continue
        if a <= b:
            out["dshield"].extend(ipaddress.summarize_address_range(a, b))
    return out


def check_rank(fx, path):
    nets = [(n, o) for n, o in pfx2as(os.path.join(
        fx, "routeviews-rv2-20261206-1200.pfx2as")) if n.version == 4]
    lists = list_entries(fx)
    space, listed, anyl = {}, {}, {}
    routed = sorted({a for n, _ in nets for a in n})  # each address once
    for a in routed:
        i = lpm(nets, a)
        key = str(nets[i][0])
        space[key] = space.get(key, 0) + 1
        hit = False
        for name, entries in lists.items():
            if any(a in e for e in entries):
                listed.setdefault(key, {}).setdefault(name, 0)
                listed[key][name] += 1
                hit = True
        anyl[key] = anyl.get(key, 0) + hit
    rows = [json.loads(l) for l in open(path)]
    want = {k for k in space if anyl[k] > 0}
    if {r["unit"] for r in rows} != want:
        fail("rank: units %s != %s" % (sorted(r["unit"] for r in rows),
                                       sorted(want)))
    for r in rows:
        k = r["unit"]
        score = sum(v / space[k] for v in listed.get(k, {}).values())
        if (r["space"] != space[k] or r["listed_any"] != anyl[k] or
                abs(r["score"] - score) > 1e-9):
            fail("rank %s: space %s listed %s score %s; want %s %s %s" % (
                k, r["space"], r["listed_any"], r["score"], space[k],
                anyl[k], score))
        for x in r["lists"]:
            if x["listed"] != listed.get(k, {}).get(x["list"], 0):
                fail("rank %s: %s listed %s" % (k, x["list"], x["listed"]))
    scores = [r["score"] for r in rows]
    if scores != sorted(scores, reverse=True):
        fail("rank: not sorted by score")
    print("rank: %d prefixes: space, listed addresses and scores equal a "
          "count over every address" % len(rows))


def check_expand(fx, asn, path):
    nets = pfx2as(os.path.join(fx, "routeviews-rv2-20261206-1200.pfx2as"))
    want = sorted(str(n) for n, o in nets if int(asn) in o and n.version == 4)
    got = sorted(l.strip() for l in open(path) if l.strip())
    if got != want:
        fail("expand AS%s: %s != %s" % (asn, got, want))
    print("expand AS%s: %s" % (asn, " ".join(got)))


# ---- the lab pivot, annotated from tests/data/ranges/lab ----

def rpsl_inetnums(path):
    """[(first, last, attrs)] of the inetnum objects of an RPSL file."""
    out, obj = [], {}
    for raw in open(path):
        line = raw.rstrip("\n")
        if not line.strip():
            if "inetnum" in obj:
                a, b = [ipaddress.ip_address(x.strip())
                        for x in obj["inetnum"].split("-")]
                out.append((a, b, obj))
            obj = {}
        elif not line.startswith(("#", "%")) and ":" in line:
            k, v = line.split(":", 1)
            obj.setdefault(k.strip(), v.strip())
    if "inetnum" in obj:
        a, b = [ipaddress.ip_address(x.strip()) for x in obj["inetnum"].split("-")]
        out.append((a, b, obj))
    return out


def check_lab(fx, truth_path, pivot_json):
    truth = json.load(open(truth_path))
    doc = json.load(open(pivot_json))
    nets = pfx2as(os.path.join(fx, "routeviews-rv2-20261206-1200.pfx2as"))
    inetnums = rpsl_inetnums(os.path.join(fx, "lab.db"))
    seed = truth["seed"]
    hosts = {h["ip"]: h for h in doc["hosts"]}
    want_a = sorted(h["ip"] for h in truth["hosts"]
                    if h.get("provider") == "A" and h["open_ports"])
    cl = [c for c in doc["clusters"] if seed in c["hosts"]][0]
    if sorted(cl["hosts"]) != want_a:
        fail("lab: the seed's cluster %s != provider A %s" % (cl["hosts"], want_a))
    for ip, h in hosts.items():
        a = ipaddress.ip_address(ip)
        i = lpm(nets, a)
        if h["routing"]["prefix"] != str(nets[i][0]):
            fail("lab %s: prefix %s != %s" % (ip, h["routing"]["prefix"], nets[i][0]))
        cover = [x for x in inetnums if x[0] <= a <= x[1]]
        best = min(cover, key=lambda x: int(x[1]) - int(x[0]))
        want = str(next(ipaddress.summarize_address_range(best[0], best[1])))
        if h["registration"]["range"] != want:
            fail("lab %s: inetnum %s != %s" % (ip, h["registration"]["range"], want))
    r = hosts[seed]["registration"]
    if r["abuse_mailbox"] != "abuse@bph.lab.example" or not r["sub_allocation"]:
        fail("lab: the seed's registration %s" % r)
    ups = {u["asn"]: u for u in hosts[seed]["upstreams"]}
    if sorted(ups) != [64510, 64511] or not ups[64511]["asn_drop"]:
        fail("lab: the seed's upstreams %s" % ups)
    if ups[64510]["abuse_mailbox"] != "abuse@t1.lab.example":
        fail("lab: upstream AS64510's mailbox %s" % ups[64510])
    n = cl["networks"]
    if {a["asn"]: a["hosts"] for a in n["ases"]} != {64500: 3, 64501: 1}:
        fail("lab: cluster ASes %s" % n["ases"])
    if {l["list"]: l["share"] for l in n["lists"]} != {"spamhaus-drop": 0.75,
                                                       "dshield": 0.25}:
        fail("lab: cluster lists %s" % n["lists"])
    if "reseller chain" not in cl.get("remark", ""):
        fail("lab: no reseller-chain remark on the seed's cluster")
    others = [c for c in doc["clusters"] if len(c["hosts"]) > 1 and c is not cl]
    for c in others:
        if len({a["asn"] for a in c["networks"]["ases"]}) < 2 and "remark" in c:
            fail("lab: a remark on a cluster in one AS: %s" % c["hosts"])
    print("lab: %d hosts annotated; the seed's cluster spans AS64500 (3) and "
          "AS64501 (1) with the reseller-chain remark" % len(hosts))


def main():
    cmd = sys.argv[1]
    if cmd == "world":
        world(sys.argv[2])
    elif cmd == "lpm":
        check_lpm(sys.argv[2], sys.argv[3])
    elif cmd == "asinfo":
        check_asinfo(sys.argv[2], sys.argv[3])
    elif cmd == "rank":
        check_rank(sys.argv[2], sys.argv[3])
    elif cmd == "expand":
        check_expand(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "lab":
        check_lab(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
