"""Compares bphound's fingerprints of the lab with independent oracles.

usage: check_fingerprints.py truth.json scan.jsonl ORACLE_DIR tshark_hassh.txt
                             tshark_ch.txt tshark_sh.txt time.txt EXPORT_DIR
Written for tests/integration/fingerprints_lab.sh (which documents each
oracle); runs under Debian's /usr/bin/python3. Exits 1 on any mismatch.
"""
import csv
import json
import re
import sys
import xml.etree.ElementTree as ET

# JARM depends on the server's TLS configuration, not on its certificate.
# Values measured by running salesforce/jarm's jarm.py (commit e00ad79) in
# the lab's scanner namespace against every TLS service of the lab
# (`python3 jarm.py IP -p PORT`); all hosts of one configuration agreed.
JARM_PINNED = {
    # nginx 1.22.1 defaults + Debian 12 OpenSSL 3.0 (provider A, tenants)
    "nginx-default": "21d19d00021d21d00021d19d21d21d1a46380b04d662f0848f508dd171125d",
    # provider B: ssl_protocols TLSv1.2, three ECDHE-RSA suites, server order
    "betanet-tls12": "2ad2ad0002ad2ad0002ad2ad2ad2ad4559f8e10cb8687304fce1c6e19fd405",
}

# ssh-keygen -l's type tag -> bphound's hostkeys[].type prefix
KEYGEN_TYPE = {"ED25519": "ssh-ed25519", "ECDSA": "ecdsa-sha2-", "RSA": "ssh-rsa"}

# What each hostile behaviour must leave in the record: the sub-object that
# carries the error, or None when the service legitimately yields data.
HOSTILE_EXPECT = {
    "silent": "error", "reset": "error",
    # one byte a second races detect's wait: an ssh error or a short banner
    "trickle": "any",
    "sshbanner": "error", "sshlen": "error", "httpheader": "error",
    "contentlen": "error", "chunked": "error", "tlslen": "error",
    "bigchain": "error",
    "flood": "banner", "strings": "http", "tlsstrings": "tls",
}

errors = []
checked = {}


def fail(msg):
    errors.append(msg)
    print("MISMATCH:", msg)


gaps = []


def gap(msg):
    """The capture holds no oracle value for a service bphound did
    fingerprint (tshark saw no ServerHello/KEXINIT of that connection):
    not a mismatch, but the run proves nothing for it."""
    gaps.append(msg)
    print("ORACLE GAP:", msg)


def ok(kind):
    checked[kind] = checked.get(kind, 0) + 1


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def title_of(body):
    m = re.search(rb"<title[^>]*>(.*?)</title>", body, re.I | re.S)
    return m.group(1).decode("utf-8", "replace").strip() if m else None


def check_ssh(key, rec, odir, tshark_hassh):
    ssh = rec.get("ssh") or {}
    lines = (read("%s/%s-%d.ssh" % ((odir,) + key)) or "").splitlines()
    theirs = {}
    for line in lines:
        f = line.split()
        theirs[f[1]] = f[-1].strip("()")
    ours = {k["sha256"]: k["type"] for k in ssh.get("hostkeys", [])}
    if not theirs or set(ours) != set(theirs):
        fail("%s:%d host keys: bphound %s, ssh-keyscan %s" %
             (key + (sorted(ours), sorted(theirs))))
    else:
        for fp, t in theirs.items():
            if not ours[fp].startswith(KEYGEN_TYPE.get(t, "?")):
                fail("%s:%d key %s: type %s vs %s" % (key + (fp, ours[fp], t)))
        ok("ssh host keys (%d keys)" % len(theirs))
    want = tshark_hassh.get(key, set())
    if not want and ssh.get("hassh_server"):
        gap("%s:%d hassh_server: bphound %s, nothing in the capture" %
            (key + (ssh.get("hassh_server"),)))
    elif len(want) != 1 or ssh.get("hassh_server") not in want:
        fail("%s:%d hassh_server: bphound %s, tshark %s" %
             (key + (ssh.get("hassh_server"), sorted(want))))
    else:
        ok("hassh_server")


def check_tls(key, rec, host, odir, ja3s_of):
    tls = rec.get("tls") or {}
    base = "%s/%s-%d" % ((odir,) + key)
    for field, ext in (("cert_sha256", "cert"), ("spki_sha256", "spki")):
        want = read(base + "." + ext)
        if not want or tls.get(field) != want:
            fail("%s:%d %s: bphound %s, openssl %s" %
                 (key + (field, tls.get(field), want)))
        else:
            ok(field)
    conf = "betanet-tls12" if host["provider"] == "B" else "nginx-default"
    if tls.get("jarm") != JARM_PINNED[conf]:
        fail("%s:%d jarm: bphound %s, jarm.py (%s) %s" %
             (key + (tls.get("jarm"), conf, JARM_PINNED[conf])))
    else:
        ok("jarm")
    want = ja3s_of.get(key, set())
    if not want and tls.get("ja3s"):
        gap("%s:%d ja3s: bphound %s, nothing in the capture" %
            (key + (tls.get("ja3s"),)))
    elif len(want) != 1 or tls.get("ja3s") not in want:
        fail("%s:%d ja3s: bphound %s, tshark %s" %
             (key + (tls.get("ja3s"), sorted(want))))
    else:
        ok("ja3s")


def check_http(key, rec, odir):
    http = rec.get("http") or {}
    base = "%s/%s-%d" % ((odir,) + key)
    try:
        body = open(base + ".body", "rb").read()
    except FileNotFoundError:
        body = None
    if body is None or http.get("body_sha256") != read(base + ".bodysha"):
        fail("%s:%d body_sha256: bphound %s, curl|sha256sum %s" %
             (key + (http.get("body_sha256"), read(base + ".bodysha"))))
    else:
        ok("body_sha256")
    want = title_of(body) if body is not None else None
    if want is None or http.get("title") != want:
        fail("%s:%d title: bphound %r, curl %r" % (key + (http.get("title"), want)))
    else:
        ok("title")
    mmh3 = read(base + ".mmh3")
    ours = http.get("favicon_mmh3")
    if (mmh3 is None) != (ours is None) or (mmh3 is not None and int(mmh3) != ours):
        fail("%s:%d favicon_mmh3: bphound %s, curl|perl %s" % (key + (ours, mmh3)))
    else:
        ok("favicon_mmh3" if mmh3 is not None else "favicon absent (404)")


def has_error(rec):
    return any(isinstance(rec.get(k), dict) and rec[k].get("error")
               for k in ("tls", "ssh", "http", "banner"))


def check_hostile(key, rec, mode):
    want = HOSTILE_EXPECT[mode]
    if rec is None:
        fail("hostile %s:%d (%s): no record" % (key + (mode,)))
        return
    if want == "any":
        if not (has_error(rec) or rec.get("banner")):
            fail("hostile %s:%d (%s): neither error nor banner" % (key + (mode,)))
            return
    elif want == "error":
        if not has_error(rec):
            fail("hostile %s:%d (%s): no error recorded: %s" %
                 (key + (mode, json.dumps(rec)[:300])))
            return
    elif not rec.get(want):
        fail("hostile %s:%d (%s): no %s object" % (key + (mode, want)))
        return
    elif want == "tls" and not rec["tls"].get("subject"):
        fail("hostile %s:%d (%s): no subject" % (key + (mode,)))
        return
    elif want == "http" and rec["http"].get("title") is None:
        fail("hostile %s:%d (%s): no title" % (key + (mode,)))
        return
    ok("hostile recorded")


def check_exports(exp, truth, recs):
    """Exports parse; the hostile strings survive the JSON Lines record."""
    for f in ("json", "cytoscape", "stix"):
        try:
            json.load(open("%s/out.%s" % (exp, f), encoding="utf-8"))
            ok("export parses")
        except (ValueError, OSError) as e:
            fail("export %s does not parse: %s" % (f, e))
    for f in ("graphml", "gexf"):
        try:
            ET.parse("%s/out.%s" % (exp, f))
            ok("export parses")
        except (ET.ParseError, OSError) as e:
            fail("export %s does not parse: %s" % (f, e))
    try:
        with open("%s/out.csv" % exp, newline="", encoding="utf-8") as fh:
            list(csv.reader(fh))
        ok("export parses")
    except (csv.Error, OSError, ValueError) as e:
        fail("export csv does not parse: %s" % e)
    dot = open("%s/out.dot" % exp, "rb").read()
    if not dot.lstrip().startswith((b"graph", b"digraph", b"strict")) or \
            not dot.rstrip().endswith(b"}"):
        fail("export dot is not a graph")
    else:
        ok("export parses")
    show = open("%s/show.txt" % exp, "rb").read()
    bad = sorted({b for b in show if b < 0x20 and b not in (0x09, 0x0a)} |
                 ({0x7f} if 0x7f in show else set()))
    if bad:
        fail("bphound show prints raw control bytes %s" % bad)
    else:
        ok("show without control bytes")
    for h in truth["hosts"]:
        for port, mode in h.get("hostile", {}).items():
            rec = recs.get((h["ip"], int(port)))
            if mode == "strings" and rec and "<script>" not in \
                    ((rec.get("http") or {}).get("title") or ""):
                fail("hostile title lost its markup: %r" % rec.get("http"))
            if mode == "tlsstrings" and rec and "script" not in \
                    ((rec.get("tls") or {}).get("subject") or ""):
                fail("hostile subject lost: %r" % rec.get("tls"))


def tshark_tables(hassh_path, ch_path, sh_path):
    hassh = {}
    for line in open(hassh_path):
        f = line.split()
        if len(f) == 3:
            hassh.setdefault((f[0], int(f[1])), set()).add(f[2])
    # bphound's tls probe is the only client offering exactly h2,http/1.1
    # (JARM offers 7 or 9 protocols, the https probe http/1.1 alone).
    tls_streams = set()
    for line in open(ch_path):
        f = line.rstrip("\n").split("|")
        if len(f) == 4 and f[3] == "h2,http/1.1":
            tls_streams.add(f[0])
    ja3s = {}
    for line in open(sh_path):
        f = line.rstrip("\n").split("|")
        if len(f) == 4 and f[0] in tls_streams and f[3]:
            ja3s.setdefault((f[1], int(f[2])), set()).add(f[3])
    return hassh, ja3s


def main():
    truth_p, scan_p, odir, hassh_p, ch_p, sh_p, time_p, exp = sys.argv[1:9]
    truth = json.load(open(truth_p))
    recs = {}
    for line in open(scan_p):
        r = json.loads(line)
        recs[(r["ip"], r["port"])] = r
    hassh, ja3s = tshark_tables(hassh_p, ch_p, sh_p)
    for host in truth["hosts"]:
        for port in host["open_ports"]:
            key = (host["ip"], port)
            rec = recs.get(key)
            if host["role"] == "hostile":
                check_hostile(key, rec, host["hostile"][str(port)])
                continue
            if rec is None:
                fail("%s:%d: no record" % key)
                continue
            if port in (22, 2222):
                check_ssh(key, rec, odir, hassh)
            elif port in (443, 8443):
                check_tls(key, rec, host, odir, ja3s)
                check_http(key, rec, odir)
            else:
                check_http(key, rec, odir)
    check_exports(exp, truth, recs)
    tm = open(time_p).read()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", tm).group(1))
    status = int(re.search(r"Exit status: (\d+)", tm).group(1))
    if status != 0:
        fail("bphound scan exited %d" % status)
    if rss > 512 * 1024:
        fail("peak RSS %d KiB exceeds 512 MiB" % rss)
    print("peak RSS of the scan: %d KiB" % rss)
    total = sum(checked.values())
    for kind in sorted(checked):
        print("  %-28s %d" % (kind, checked[kind]))
    print("fingerprints_lab: %d checks passed, %d mismatches, %d oracle gaps" %
          (total, len(errors), len(gaps)))
    return 1 if errors else 3 if gaps else 0


# exit status: 0 all equal, 1 a mismatch, 3 no mismatch but oracle gaps
if __name__ == "__main__":
    sys.exit(main())
