#!/usr/bin/python3
"""data_gen.py - routing, registry and deny-list files at real sizes, in the
real formats (docs/guide.md, "From a cluster to its networks"), for
bench/data_load.sh. Synthetic and seeded: the same arguments give the same
bytes. Standard library only.

usage: bench/data_gen.py OUTDIR [--scale S] [--seed N]

At --scale 1 (the default): 1,000,000 pfx2as IPv4 prefixes (nested, with
multi-origin and AS-set lines) and 100,000 IPv6 ones, 500,000 as-rel links
(serial-2), as2org for 70,000 ASes, 4,000,000 RPSL objects in RIPE's split
files (inetnum tree of allocations, sub-allocations and assignments,
organisations, roles, aut-nums), 1,500 DROP entries and 1,000,000 host
addresses inside routed space (hosts.txt) for the annotation benchmark.
"""
import argparse
import bz2
import gzip
import ipaddress
import json
import os
import random

N_AS = 70000


def asn_of(rng, i=None):
    """An ASN from a skewed pool: a few ASes originate much of the space."""
    if i is not None:
        k = i
    elif rng.random() < 0.2:  # the skewed few
        k = int(rng.paretovariate(1.2))
    else:
        k = rng.randrange(N_AS)
    return 1000 + (k * 7919) % N_AS


def routable_slash16(rng):
    while True:
        a = rng.randint(1, 223)
        if a in (10, 127, 100, 169, 172, 192, 198, 203):
            continue
        return (a << 24) | (rng.randint(0, 255) << 16)


LENS = [(24, 55), (23, 10), (22, 10), (21, 8), (20, 7), (19, 5), (18, 3),
        (17, 1), (16, 1)]


def pick_len(rng):
    r = rng.randint(1, 100)
    for length, w in LENS:
        r -= w
        if r <= 0:
            return length
    return 24


def gen_pfx2as(rng, n, path):
    """n IPv4 prefixes: every /16 block holds a covering prefix and some
    more-specifics, so prefixes nest as in a real table."""
    seen = set()
    blocks = [routable_slash16(rng) for _ in range(max(1, n // 25))]
    out = []
    while len(out) < n:
        base = rng.choice(blocks)
        length = pick_len(rng)
        net = (base | rng.getrandbits(16)) & \
            ((0xffffffff << (32 - length)) & 0xffffffff)
        key = (net, length)
        if key in seen:
            continue
        seen.add(key)
        r = rng.random()
        origin = str(asn_of(rng))
        if r < 0.01:
            origin += "_" + str(asn_of(rng))
        elif r < 0.0015 + 0.01:
            origin += "," + str(asn_of(rng))
        out.append("%s\t%d\t%s\n" % (ipaddress.IPv4Address(net), length,
                                     origin))
    with gzip.open(path, "wt", compresslevel=6) as f:
        f.writelines(out)
    return [ipaddress.ip_network(l.split("\t")[0] + "/" + l.split("\t")[1])
            for l in out[:50000]]


def gen_pfx2as6(rng, n, path):
    out = []
    for _ in range(n):
        length = rng.choice([32, 36, 40, 44, 48, 48, 48])
        v = (0x2000 << 112) | (rng.getrandbits(length - 3) << (128 - length))
        out.append("%s\t%d\t%d\n" % (ipaddress.IPv6Address(v), length,
                                     asn_of(rng)))
    with gzip.open(path, "wt", compresslevel=6) as f:
        f.writelines(out)


def gen_asrel(rng, n, path):
    """n links: each AS gets providers among lower-numbered ASes (a
    hierarchy), the rest are peers; serial-2 with the source column."""
    seen = set()
    lines = ["# source:topology|BGP|20261201|routeviews|ris\n"]
    while len(lines) - 1 < n:
        b = 1000 + rng.randrange(N_AS)
        a = 1000 + int(rng.random() ** 3 * (b - 1000)) if b > 1000 else 1001
        if a == b or (a, b) in seen or (b, a) in seen:
            continue
        seen.add((a, b))
        rel = "-1" if rng.random() < 0.6 else "0"
        src = rng.choice(["bgp", "bgp", "bgp", "mlp", "bgp,mlp"])
        lines.append("%d|%d|%s|%s\n" % (a, b, rel, src))
    with bz2.open(path, "wt", compresslevel=9) as f:
        f.writelines(lines)


def gen_as2org(rng, path):
    lines = ["# format:org_id|changed|org_name|country|source\n"]
    n_org = N_AS * 6 // 7
    for o in range(n_org):
        lines.append("ORG-B%d-RIPE|20261001|Bench Org %d|%s|RIPE\n" % (
            o, o, rng.choice(["NL", "DE", "US", "RU", "SC", "BZ"])))
    lines.append("# format:aut|changed|aut_name|org_id|opaque_id|source\n")
    for i in range(N_AS):
        lines.append("%d|20261001|BENCH-AS%d|ORG-B%d-RIPE|op%d_RIPE|RIPE\n" % (
            1000 + i, i, i % n_org, i % n_org))
    with gzip.open(path, "wt", compresslevel=6) as f:
        f.writelines(lines)


def rpsl(obj):
    return "".join("%-16s%s\n" % (k + ":", v) for k, v in obj) + "\n"


def gen_rpsl(rng, n_objects, outdir):
    """About n_objects objects: 3/4 inetnums in a tree (ALLOCATED PA /16-/20,
    SUB-ALLOCATED PA inside, ASSIGNED PA /24-/29 inside those), and
    organisations, roles and aut-nums for the rest."""
    n_inet = n_objects * 3 // 4
    n_org = n_objects // 10
    n_role = n_objects // 10
    n_aut = n_objects - n_inet - n_org - n_role
    inet = gzip.open(os.path.join(outdir, "ripe.db.inetnum.gz"), "wt", 6)
    inet.write("#\n# RIPE Database Terms and Conditions (bench copy)\n#\n\n")
    count = 0
    while count < n_inet:
        top = routable_slash16(rng) | (rng.randrange(16) << 12)
        tlen = rng.choice([16, 18, 20])
        top &= (0xffffffff << (32 - tlen)) & 0xffffffff
        org = rng.randrange(n_org)
        inet.write(rpsl(block(top, tlen, "ALLOCATED PA", org, count)))
        count += 1
        for _ in range(rng.randint(2, 6)):
            slen = tlen + rng.randint(2, 4)
            sub = top | (rng.getrandbits(slen - tlen) << (32 - slen))
            sorg = rng.randrange(n_org)
            inet.write(rpsl(block(sub, slen, "SUB-ALLOCATED PA", sorg,
                                  count)))
            count += 1
            for _ in range(rng.randint(3, 12)):
                alen = rng.randint(24, 29)
                a = sub | (rng.getrandbits(alen - slen) << (32 - alen))
                inet.write(rpsl(block(a, alen, "ASSIGNED PA",
                                      rng.randrange(n_org), count)))
                count += 1
    inet.close()
    with gzip.open(os.path.join(outdir, "ripe.db.organisation.gz"), "wt",
                   6) as f:
        for o in range(n_org):
            f.write(rpsl([("organisation", "ORG-B%d-RIPE" % o),
                          ("org-name", "Bench Org %d" % o),
                          ("country", "NL"),
                          ("abuse-c", "AB%d-RIPE" % (o % n_role)),
                          ("mnt-by", "BENCH-MNT"), ("source", "RIPE")]))
    with gzip.open(os.path.join(outdir, "ripe.db.role.gz"), "wt", 6) as f:
        for r in range(n_role):
            f.write(rpsl([("role", "Bench Abuse %d" % r),
                          ("address", "Bench street %d" % r),
                          ("abuse-mailbox", "abuse@org%d.example" % r),
                          ("nic-hdl", "AB%d-RIPE" % r),
                          ("mnt-by", "BENCH-MNT"), ("source", "RIPE")]))
    with gzip.open(os.path.join(outdir, "ripe.db.aut-num.gz"), "wt", 6) as f:
        for i in range(n_aut):
            f.write(rpsl([("aut-num", "AS%d" % (1000 + i % N_AS)),
                          ("as-name", "BENCH-AS%d" % i),
                          ("org", "ORG-B%d-RIPE" % (i % n_org)),
                          ("abuse-c", "AB%d-RIPE" % (i % n_role)),
                          ("source", "RIPE")]))


def block(start, length, status, org, n):
    last = start | (0xffffffff >> length)
    return [("inetnum", "%s - %s" % (ipaddress.IPv4Address(start),
                                      ipaddress.IPv4Address(last))),
            ("netname", "BENCH-NET-%d" % n), ("country", "NL"),
            ("org", "ORG-B%d-RIPE" % org),
            ("admin-c", "AB%d-RIPE" % (org % 1000)),
            ("tech-c", "AB%d-RIPE" % (org % 1000)),
            ("abuse-c", "AB%d-RIPE" % org) if n % 3 == 0 else
            ("remarks", "abuse-c through the organisation"),
            ("status", status), ("mnt-by", "BENCH-MNT"),
            ("created", "2025-03-01T10:00:00Z"), ("source", "RIPE")]


def gen_drop(rng, n, path):
    with open(path, "w") as f:
        for i in range(n):
            length = rng.choice([19, 20, 21, 22, 22, 23, 24, 24, 24])
            net = routable_slash16(rng) | (rng.getrandbits(16) & 0xffff)
            net &= (0xffffffff << (32 - length)) & 0xffffffff
            f.write(json.dumps({"cidr": "%s/%d" % (
                ipaddress.IPv4Address(net), length),
                "sblid": "SBL%06d" % i, "rir": "ripencc"}) + "\n")
        f.write(json.dumps({"type": "metadata", "timestamp": 1764979200,
                            "size": 0, "records": n,
                            "copyright": "(c) bench copy",
                            "terms": "https://www.spamhaus.org/drop/terms/"})
                + "\n")


def gen_hosts(rng, nets, n, path):
    with open(path, "w") as f:
        for _ in range(n):
            net = rng.choice(nets)
            f.write("%s\n" % (net.network_address +
                              rng.randrange(net.num_addresses)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    rng = random.Random(a.seed)
    s = a.scale
    nets = gen_pfx2as(rng, int(1000000 * s), os.path.join(
        a.outdir, "routeviews-rv2-20261206-1200.pfx2as.gz"))
    gen_pfx2as6(rng, int(100000 * s), os.path.join(
        a.outdir, "routeviews-rv6-20261206-1200.pfx2as.gz"))
    gen_asrel(rng, int(500000 * s), os.path.join(
        a.outdir, "20261201.as-rel2.txt.bz2"))
    gen_as2org(rng, os.path.join(a.outdir, "20261001.as-org2info.txt.gz"))
    gen_rpsl(rng, int(4000000 * s), a.outdir)
    gen_drop(rng, 1500, os.path.join(a.outdir, "drop_v4.json"))
    gen_hosts(rng, nets, int(1000000 * s), os.path.join(a.outdir,
                                                        "hosts.txt"))


if __name__ == "__main__":
    main()
