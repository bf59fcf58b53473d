#!/usr/bin/python3
"""gen_population.py - synthetic host populations with ground truth for
bphound's clustering (bench/cluster_eval.sh).

Writes bphound JSON Lines records (docs/output.md) and a truth file:
  {"params": {...}, "labels": {"ip": "label", ...}, "groups": {...}}
A label names the operator behind a host: "prov-N" (a hosting provider),
"org-N" (a small legitimate organisation) or "solo-<ip>" (an unrelated host).

What a provider shares (artifacts an investigator links on):
  - SSH host keys per VM template (about 20 hosts per template; templates
    follow deployment order, 30% of hosts are cloned from an older one),
    some hosts with a fresh key of their own (re-installed);
  - self-signed certificates per deployment batch (about 30 hosts, offset
    from the templates); rotating providers put the later half of their
    hosts on a new certificate and key;
  - a panel (title + body + favicon) on its HTTP hosts;
  - one TLS/SSH/HTTP software stack and often a tuned TCP stack.
What unrelated hosts share (must NOT link them):
  - CDN certificates on thousands of reverse-proxied sites;
  - vendor-default SSH keys, web UIs and TCP stacks on hundreds of devices;
  - default nginx/Apache/IIS pages, popular JARM/JA3S/HASSH/Server/header
    orders and TCP signatures (Zipf popularity, so the tail is rare but
    still software, not operators);
Small legitimate organisations (2..6 hosts) share a wildcard certificate
and are ground-truth clusters of their own.
Where hosts sit: a provider's hosts fill a few /24 blocks, and unrelated
neighbours share those blocks (sub-allocations of an upstream hoster:
--neighbours unrelated hosts per provider host on average, 0..2x that per
block). Resellers (--resellers) run the upstream's default image, so their
software build and TCP stack are the same as most of their neighbours':
location plus software is then no evidence at all.

Everything is derived from --seed; the same arguments give the same files.
"""
import argparse
import base64
import collections
import hashlib
import json
import math
import os
import random
import sys
import tempfile

BASE_TIME = 1795000000

NGINX_BODY = "fb47468a2cd3953c7131431991afcc6a2703f14640520102eea0a685a7e8d6de"
EMPTY_BODY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.n = 0

    def token(self, tag):
        self.n += 1
        return "%s-%d-%d" % (tag, self.n, self.rng.getrandbits(48))

    def hexh(self, tag, bits=256):
        d = hashlib.sha256(self.token(tag).encode()).hexdigest()
        return d[: bits // 4]

    def md5(self, tag):
        return hashlib.md5(self.token(tag).encode()).hexdigest()

    def sshkey(self, tag):
        raw = hashlib.sha256(self.token(tag).encode()).digest()
        return "SHA256:" + base64.b64encode(raw).decode().rstrip("=")

    def jarm(self, tag):
        return self.hexh(tag)[:62]

    def mmh3(self, tag):
        return self.rng.randint(-(2**31), 2**31 - 1)

    def zipf_pick(self, pool, s=1.1):
        """Index into pool with Zipf(s) popularity."""
        w = self._zipf_cache.get((len(pool), s))
        if w is None:
            w = [1.0 / (i + 1) ** s for i in range(len(pool))]
            acc, tot = [], 0.0
            for x in w:
                tot += x
                acc.append(tot)
            w = (acc, tot)
            self._zipf_cache[(len(pool), s)] = w
        acc, tot = w
        r = self.rng.random() * tot
        lo, hi = 0, len(acc) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if acc[mid] < r:
                lo = mid + 1
            else:
                hi = mid
        return pool[lo]

    _zipf_cache = {}


def make_stacks(g, n):
    """Software stacks: TLS (jarm, ja3s), SSH (hassh, banner), HTTP
    (server, header order)."""
    servers = ["nginx", "Apache", "Microsoft-IIS/10.0", "LiteSpeed",
               "openresty", "cloudflare", "Caddy", "lighttpd"]
    out = []
    for i in range(n):
        srv = servers[i % len(servers)]
        if i >= len(servers):
            srv += "/1.%d.%d" % (g.rng.randint(10, 25), g.rng.randint(0, 9))
        out.append({
            "jarm": g.jarm("jarm"), "ja3s": g.md5("ja3s"),
            "hassh": g.md5("hassh"),
            "banner": "SSH-2.0-OpenSSH_%d.%dp1" % (g.rng.randint(7, 9),
                                                  g.rng.randint(0, 9)),
            "server": srv, "header_hash": "hhh:1:" + g.hexh("hhh"),
        })
    return out


def make_tcp(g, n):
    out = []
    for i in range(n):
        mss = g.rng.choice([1460, 1440, 1400, 1380, 1360, 1452])
        ws = g.rng.choice([7, 8, 9, 10, 6, 2])
        win = g.rng.choice([64240, 65535, 29200, 28960, 14600, 8192])
        opts = g.rng.choice(["mss,sok,ts,nop,ws", "mss,nop,ws,sok,ts",
                             "mss,nop,nop,sok,nop,ws", "mss,nop,ws,nop,nop,sok"])
        ittl = g.rng.choice([64, 64, 64, 128, 255])
        out.append({"ittl": ittl, "window": win, "mss": mss, "wscale": ws,
                    "options": opts,
                    "sig": "4:%d+0:0:%d:%d,%d:%s:df:0#%d" %
                           (ittl, mss, win, ws, opts, i)})
    return out


class Records:
    """The records, in memory (shuffled at the end with the generator's
    own random stream: the files of earlier runs stay byte-identical), or
    spilled as JSON lines into bucket files chosen by a second stream and
    shuffled one bucket at a time (--spill: memory bounded by a bucket,
    for 10M hosts, whose records would not fit in memory as Python
    objects)."""

    BUCKETS = 64

    def __init__(self, spill, seed):
        self.last = collections.deque(maxlen=2)  # the last records' ips
        self.n = 0
        self.mem = [] if spill is None else None
        if spill is not None:
            self.rng = random.Random(seed * 7919 + 1)
            self.dir = tempfile.mkdtemp(prefix="gen_population.", dir=spill)
            self.files = [open(os.path.join(self.dir, "b%d" % i), "w")
                          for i in range(self.BUCKETS)]

    def append(self, ip, r):
        self.last.append(ip)
        self.n += 1
        if self.mem is not None:
            self.mem.append(r)
        else:
            self.files[self.rng.randrange(self.BUCKETS)].write(line(r))

    def write(self, rng, out):
        """Writes every record to out in a random order."""
        if self.mem is not None:
            rng.shuffle(self.mem)
            for r in self.mem:
                out.write(line(r))
            return
        for f in self.files:
            f.close()
        for f in self.files:
            with open(f.name) as b:
                lines = b.readlines()
            os.unlink(f.name)
            self.rng.shuffle(lines)
            out.writelines(lines)
        os.rmdir(self.dir)


def line(r):
    return json.dumps(r, separators=(",", ":")) + "\n"


class World:
    def __init__(self, a):
        self.a = a
        self.g = Gen(a.seed)
        self.records = Records(a.spill, a.seed)
        self.labels = {}
        self.groups = {}
        self.used = set()
        self.unlinkable = []  # provider hosts with nothing to link on
        self.blocks = []  # provider /24s: base, provider hosts, upstream
        self.stacks = make_stacks(self.g, a.stacks)
        self.tcps = make_tcp(self.g, a.tcp_sigs)

    def ip(self, base=None):
        while True:
            if base is not None:
                v = base + self.g.rng.randint(1, 253)
            else:
                v = self.g.rng.randint(0x0B000000, 0xDEFFFFFF)
            if v not in self.used:
                self.used.add(v)
                return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255,
                                        (v >> 8) & 255, v & 255)

    def block(self):
        """A fresh /24-ish base for a provider's allocation."""
        return self.g.rng.randint(0x0B0000, 0xDEFFFF) << 8

    # ---- records ----
    def rec(self, ip, port, proto, tcp, **parts):
        r = {"ip": ip, "port": port, "state": "open",
             "seen": BASE_TIME + self.g.rng.randint(0, 86400), "proto": proto,
             "tcp": {"ittl": tcp["ittl"], "window": tcp["window"],
                     "mss": tcp["mss"], "wscale": tcp["wscale"],
                     "options": tcp["options"], "df": True,
                     "sig": tcp["sig"]}}
        r.update(parts)
        self.records.append(ip, r)

    def ssh(self, ip, port, tcp, stack, keys):
        self.rec(ip, port, "ssh", tcp, ssh={
            "banner": stack["banner"], "hassh_server": stack["hassh"],
            "hostkeys": [{"type": t, "sha256": k} for t, k in keys]})

    def tls(self, ip, port, tcp, stack, cert):
        self.rec(ip, port, "tls", tcp, tls={
            "cert_sha256": cert["cert"], "spki_sha256": cert["spki"],
            "subject": cert["subject"], "issuer": cert["issuer"],
            "self_signed": cert["issuer"] == cert["subject"],
            "jarm": stack["jarm"], "ja3s": stack["ja3s"]})

    def http(self, ip, port, tcp, stack, page, tls=False):
        h = {"tls": tls, "status": 200, "server": stack["server"],
             "title": page["title"], "body_sha256": page["body"],
             "body_len": page["len"], "header_hash": stack["header_hash"]}
        if page.get("favicon") is not None:
            h["favicon_mmh3"] = page["favicon"]
        self.rec(ip, port, "http", tcp, http=h)

    # ---- artifacts ----
    def cert(self, cn, issuer=None):
        return {"cert": self.g.hexh("cert"), "spki": self.g.hexh("spki"),
                "subject": "CN=" + cn, "issuer": issuer or "CN=" + cn}

    def page(self, title):
        return {"title": title, "body": self.g.hexh("body"),
                "len": self.g.rng.randint(300, 40000),
                "favicon": self.g.mmh3("fav")}

    def keyset(self):
        return [("ssh-ed25519", self.g.sshkey("ed")),
                ("rsa-sha2-512", self.g.sshkey("rsa"))]

    def label(self, ip, lab):
        self.labels[ip] = lab
        self.groups.setdefault(lab, []).append(ip)


def provider_sizes(a, rng):
    sizes = []
    for _ in range(a.providers):
        s = int(a.provider_min * rng.paretovariate(a.provider_alpha))
        sizes.append(max(a.provider_min, min(a.provider_max, s)))
    sizes.sort(reverse=True)
    if a.providers:
        sizes[0] = a.provider_max  # at least one provider at the cap
    return sizes


def gen_provider(w, pid, size):
    a, g = w.a, w.g
    lab = "prov-%d" % pid
    rng = g.rng
    stack = g.zipf_pick(w.stacks) if rng.random() < 0.6 else \
        make_stacks(g, 1)[0]  # popular build, or a custom build
    tcp = make_tcp(g, 1)[0] if rng.random() < 0.5 else g.zipf_pick(w.tcps)
    ssh_port = 22 if rng.random() < 0.6 else rng.choice([2222, 22022, 2200])
    name = "Host%d" % pid
    panel = w.page("%s :: Client Area" % name)
    rotating = rng.random() < a.rotate
    tmpl = max(1, math.ceil(size / a.template_size))
    keys = [w.keyset() for _ in range(tmpl)]
    batches = max(1, math.ceil((size + a.batch_size // 2) / a.batch_size))
    certs = [w.cert("panel.%s.example" % name.lower()) for _ in range(batches)]
    new_certs = [w.cert("cp.%s.example" % name.lower()) for _ in range(batches)]
    bases = [w.block() for _ in range(max(1, size // 200 + 1))]
    upstream = None
    if rng.random() < a.resellers:  # runs the upstream's default image
        upstream = {"stack": g.zipf_pick(w.stacks),
                    "tcp": g.zipf_pick(w.tcps)}
        stack, tcp = upstream["stack"], upstream["tcp"]
    for b in bases:
        w.blocks.append({"base": b, "hosts": 0, "upstream": upstream})
    for i in range(size):
        blk = w.blocks[len(w.blocks) - len(bases) + i * len(bases) // size]
        blk["hosts"] += 1
        ip = w.ip(blk["base"])
        w.label(ip, lab)
        kind = rng.random()
        if kind < a.unlinkable:  # default page, fresh key: nothing to link on
            w.unlinkable.append(ip)
            w.ssh(ip, 22, tcp, stack, w.keyset())
            w.http(ip, 80, tcp, stack, {"title": "Welcome to nginx!",
                                         "body": NGINX_BODY, "len": 615,
                                         "favicon": None})
            continue
        has_ssh = rng.random() < 0.85
        has_tls = rng.random() < 0.6
        has_http = rng.random() < 0.7 or not (has_ssh or has_tls)
        if has_ssh:
            t = i * tmpl // size
            if rng.random() < a.template_mix:  # cloned from an older image
                t = rng.randrange(tmpl)
            k = w.keyset() if rng.random() < a.fresh_keys else keys[t]
            w.ssh(ip, ssh_port, tcp, stack, k)
        if has_tls:
            b = min(batches - 1, (i + a.batch_size // 2) // a.batch_size)
            c = new_certs[b] if rotating and i >= size // 2 else certs[b]
            w.tls(ip, 443, tcp, stack, c)
        if has_http:
            w.http(ip, 80, tcp, stack, panel)


def gen_org(w, oid, size):
    g = w.g
    lab = "org-%d" % oid
    cert = w.cert("*.org%d.example" % oid, "CN=R3,O=Let's Encrypt")
    base = w.block()
    for _ in range(size):
        ip = w.ip(base)
        w.label(ip, lab)
        stack = g.zipf_pick(w.stacks)
        tcp = g.zipf_pick(w.tcps)
        w.tls(ip, 443, tcp, stack, cert)
        if g.rng.random() < 0.5:
            w.ssh(ip, 22, tcp, stack, w.keyset())


DEFAULT_PAGES = [
    ("Welcome to nginx!", NGINX_BODY, 615),
    ("Apache2 Debian Default Page: It works", None, 10701),
    ("IIS Windows Server", None, 703),
    ("Index of /", None, 512),
    ("", EMPTY_BODY, 0),
]


def gen_solo(w, cdn, vendor, defaults, ip=None, image=None):
    """One unrelated host: its own keys and certs, or shared defaults;
    at ip (a provider block's neighbour) and on image when given."""
    g = w.g
    rng = g.rng
    ip = ip or w.ip()
    w.label(ip, "solo-" + ip)
    stack = g.zipf_pick(w.stacks)
    tcp = g.zipf_pick(w.tcps)
    if image is not None:
        stack, tcp = image["stack"], image["tcp"]
    if vendor is not None:  # an appliance: vendor key, UI and stack
        w.ssh(ip, 22, vendor["tcp"], vendor["stack"], vendor["keys"])
        w.http(ip, 80, vendor["tcp"], vendor["stack"], vendor["ui"])
        if rng.random() < 0.5:
            w.tls(ip, 443, vendor["tcp"], vendor["stack"], vendor["cert"])
        return
    if rng.random() < 0.6:
        w.ssh(ip, 22, tcp, stack, w.keyset())
    if cdn is not None:
        w.tls(ip, 443, tcp, cdn["stack"], cdn["cert"])
        w.http(ip, 443, tcp, cdn["stack"], w.page("site %s" % ip), tls=True)
        return
    if rng.random() < 0.5:
        w.tls(ip, 443, tcp, stack, w.cert("www.%s.example" % ip.replace(
            ".", "-"), "CN=R3,O=Let's Encrypt"))
    if rng.random() < 0.7:
        title, body, ln = defaults[g.zipf_pick(list(range(len(defaults))))]
        page = {"title": title, "body": body, "len": ln, "favicon": None}
        if body is None:  # unique body: a modified default page
            page = w.page(title)
        elif rng.random() < 0.5:
            page = w.page("site %s" % ip)
        w.http(ip, 80, tcp, stack, page)
    elif ip not in w.records.last:
        w.ssh(ip, 22, tcp, stack, w.keyset())


def gen_neighbours(w):
    """Unrelated hosts in the providers' /24s; returns how many."""
    a, rng = w.a, w.g.rng
    n = 0
    for blk in w.blocks:
        want = int(round(blk["hosts"] * rng.uniform(0, 2 * a.neighbours)))
        want = min(want, 240 - blk["hosts"])  # the block has 253 addresses
        for _ in range(max(0, want)):
            image = blk["upstream"] if blk["upstream"] and \
                rng.random() < 0.7 else None
            gen_solo(w, None, None, DEFAULT_PAGES, w.ip(blk["base"]), image)
            n += 1
    return n


def gen_world(a):
    w = World(a)
    rng = w.g.rng
    for pid, size in enumerate(provider_sizes(a, rng)):
        gen_provider(w, pid + 1, size)
    n_neigh = gen_neighbours(w)
    for oid in range(a.orgs):
        gen_org(w, oid + 1, rng.randint(2, 6))
    cdns = []
    for i in range(a.cdns):
        cdns.append({"cert": w.cert("*.cdn%d.example.net" % i,
                                    "CN=GeoTrust TLS RSA CA G1"),
                     "stack": w.stacks[i % 3],
                     "n": rng.randint(a.cdn_min, a.cdn_max)})
    vendors = []
    for i in range(a.vendors):
        vendors.append({"keys": w.keyset(), "cert": w.cert("device%d" % i),
                        "ui": w.page("Vendor%d Router Login" % i),
                        "stack": make_stacks(w.g, 1)[0],
                        "tcp": make_tcp(w.g, 1)[0],
                        "n": rng.randint(a.vendor_min, a.vendor_max)})
    plan = [("cdn", c) for c in cdns for _ in range(c["n"])]
    plan += [("vendor", v) for v in vendors for _ in range(v["n"])]
    plan += [("solo", None)] * max(0, a.solos - n_neigh - len(plan))
    rng.shuffle(plan)
    for kind, obj in plan:
        gen_solo(w, obj if kind == "cdn" else None,
                 obj if kind == "vendor" else None, DEFAULT_PAGES)
    return w


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--providers", type=int, default=60)
    p.add_argument("--provider-min", type=int, default=2)
    p.add_argument("--provider-max", type=int, default=200)
    p.add_argument("--provider-alpha", type=float, default=0.9,
                   help="Pareto shape of provider sizes (heavy tail)")
    p.add_argument("--template-size", type=int, default=20,
                   help="hosts per VM template (one SSH key set each)")
    p.add_argument("--template-mix", type=float, default=0.3,
                   help="share of hosts cloned from a random template of "
                        "their provider rather than the current one")
    p.add_argument("--batch-size", type=int, default=30,
                   help="hosts per certificate batch")
    p.add_argument("--rotate", type=float, default=0.4,
                   help="share of providers that rotate certificates")
    p.add_argument("--fresh-keys", type=float, default=0.05,
                   help="share of provider hosts with a fresh SSH key")
    p.add_argument("--unlinkable", type=float, default=0.02,
                   help="share of provider hosts showing only defaults")
    p.add_argument("--neighbours", type=float, default=0.5,
                   help="unrelated hosts per provider host in the "
                        "provider's /24s (mean; 0..2x per block)")
    p.add_argument("--resellers", type=float, default=0.3,
                   help="share of providers running their upstream's "
                        "default image, like 70%% of their neighbours")
    p.add_argument("--orgs", type=int, default=300)
    p.add_argument("--solos", type=int, default=10000,
                   help="unrelated hosts, CDN sites, devices and "
                        "neighbours included")
    p.add_argument("--cdns", type=int, default=4)
    p.add_argument("--cdn-min", type=int, default=300)
    p.add_argument("--cdn-max", type=int, default=2500)
    p.add_argument("--vendors", type=int, default=6)
    p.add_argument("--vendor-min", type=int, default=80)
    p.add_argument("--vendor-max", type=int, default=600)
    p.add_argument("--stacks", type=int, default=60)
    p.add_argument("--tcp-sigs", type=int, default=40)
    p.add_argument("--spill", metavar="DIR",
                   help="hold the records in bucket files under DIR "
                        "instead of memory (another order, same records)")
    p.add_argument("-o", "--out", required=True, help="records (.jsonl)")
    p.add_argument("-t", "--truth", required=True, help="truth (.json)")
    a = p.parse_args()
    w = gen_world(a)
    with open(a.out, "w") as f:
        w.records.write(w.g.rng, f)
    sizes = sorted((len(v) for k, v in w.groups.items()
                    if k.startswith("prov-")), reverse=True)
    with open(a.truth, "w") as f:
        params = {k: v for k, v in vars(a).items()
                  if k != "spill" or v is not None}
        json.dump({"params": params, "labels": w.labels,
                   "unlinkable": sorted(w.unlinkable),
                   "provider_sizes": sizes}, f)
    print("gen_population: %d hosts, %d records, %d providers (largest %s)" %
          (len(w.labels), w.records.n, len(sizes), sizes[:5]),
          file=sys.stderr)


if __name__ == "__main__":
    main()
