#!/usr/bin/python3
"""Independent readers of bphound's deny lists.

usage:
  check_deny.py collapse DIR
      DIR holds in.vF.N / out.vF.N pairs (tests/unit/test_abuse_cidr.c with
      BPH_AGG_DIR): every out must equal ipaddress.collapse_addresses(in).
  check_deny.py lists DIR BASE SCHEMAS
      DIR holds BASE.<format> and BASE.<format>.provenance.json for the six
      formats: the entries of every format are the same set, equal to the
      provenance file's; each entry is at most min_prefix wide; no entry
      overlaps another; the STIX bundle validates against the STIX 2.1
      schemas under SCHEMAS (a visible SKIP line when SCHEMAS is absent);
      a restricted licence named in the provenance is named in every
      format's header.
Prints one "ok ..." line per check; exits 1 on the first failure.
"""
import glob
import ipaddress
import json
import os
import re
import sys

FORMATS = ["denylist", "spamhaus", "netset", "nft", "ipset", "stix-indicators"]


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok   " + msg)


def collapse(d):
    ins = sorted(glob.glob(os.path.join(d, "in.v*.*")))
    check(len(ins) >= 100, "collapse: %d random cases written" % len(ins))
    for p in ins:
        q = p.replace("/in.", "/out.")
        nets = [ipaddress.ip_network(l.strip()) for l in open(p) if l.strip()]
        want = [str(n) for n in ipaddress.collapse_addresses(nets)]
        got = [l.strip() for l in open(q) if l.strip()]
        if got != want:
            fail("collapse: %s gives %s, collapse_addresses %s" % (p, got[:5], want[:5]))
    print("ok   collapse: %d cases equal ipaddress.collapse_addresses" % len(ins))


def lines(path, comment):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f if l.strip() and not l.startswith(comment)]


def entries_of(fmt, path):
    """The entries of one format, read the way its consumer reads them."""
    if fmt == "denylist":
        return [ipaddress.ip_network(l) for l in lines(path, "#")]
    if fmt == "spamhaus":
        out = []
        for l in lines(path, ";"):
            m = re.fullmatch(r"(\S+) ; ([A-Z0-9-]+)", l)
            if not m:
                fail("spamhaus: line %r is not 'CIDR ; TAG'" % l)
            out.append(ipaddress.ip_network(m.group(1)))
        return out
    if fmt == "netset":
        return [ipaddress.ip_network(l) for l in lines(path, "#")]
    if fmt == "nft":
        text = open(path, encoding="utf-8").read()
        out = []
        for body in re.findall(r"elements = \{([^}]*)\}", text):
            out += [ipaddress.ip_network(e.strip()) for e in body.split(",") if e.strip()]
        return out
    if fmt == "ipset":
        return [ipaddress.ip_network(l.split()[2]) for l in lines(path, "#")
                if l.startswith("add ")]
    if fmt == "stix-indicators":
        b = json.load(open(path, encoding="utf-8"))
        out = []
        for o in b["objects"]:
            if o["type"] != "indicator":
                continue
            m = re.fullmatch(r"\[ipv[46]-addr:value ISSUBSET '([^']+)'\]", o["pattern"])
            if not m:
                fail("stix: pattern %r" % o["pattern"])
            out.append(ipaddress.ip_network(m.group(1)))
        return out
    raise ValueError(fmt)


def stix_validator(schemas):
    import jsonschema
    root = os.path.join(schemas, "stix2.1", "schemas")
    store = {}
    for p in glob.glob(os.path.join(root, "*", "*.json")):
        with open(p, encoding="utf-8") as f:
            s = json.load(f)
        store[s["$id"]] = s

    def validator(kind, name):
        with open(os.path.join(root, kind, name + ".json"), encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=store)
        return cls(schema, resolver=resolver, format_checker=cls.FORMAT_CHECKER)
    return validator


def check_stix(path, schemas):
    b = json.load(open(path, encoding="utf-8"))
    ids = [o["id"] for o in b["objects"]]
    check(len(ids) == len(set(ids)), "stix: ids are unique")
    inds = [o for o in b["objects"] if o["type"] == "indicator"]
    for o in inds:
        if not o["valid_until"] > o["valid_from"]:
            fail("stix: %s expires before it starts" % o["id"])
        if not all(m in ids for m in o.get("object_marking_refs", [])):
            fail("stix: %s has a marking outside the bundle" % o["id"])
    print("ok   stix: %d indicators expire after they start; their markings are in the bundle"
          % len(inds))
    if not schemas or not os.path.isdir(os.path.join(schemas, "stix2.1")):
        print("SKIP stix: bundle, indicator and marking-definition against the "
              "STIX 2.1 schemas (no schemas: set BPH_SCHEMAS or put shared/schemas "
              "beside the clone)")
        return
    v = stix_validator(schemas)
    errs = [e.message for e in v("common", "bundle").iter_errors(b)]
    check(not errs, "stix: bundle validates against common/bundle.json " + "; ".join(errs[:3]))
    where = {"indicator": ("sdos", "indicator"),
             "marking-definition": ("common", "marking-definition")}
    for o in b["objects"]:
        errs = [e.message for e in v(*where[o["type"]]).iter_errors(o)]
        if errs:
            fail("stix: %s %s: %s" % (o["type"], o["id"], "; ".join(errs[:3])))
    print("ok   stix: %d objects validate against their STIX 2.1 schemas" % len(b["objects"]))


def check_provenance(fmt, path):
    p = json.load(open(path + ".provenance.json", encoding="utf-8"))
    check(p["format"] == fmt, "%s: provenance names its format" % fmt)
    want = [ipaddress.ip_network(e["cidr"]) for e in p["entries"]]
    for e in p["entries"]:
        net = ipaddress.ip_network(e["cidr"])
        if not e["sources"]:
            fail("%s: %s has no sources" % (fmt, net))
        for s in e["sources"]:
            src = ipaddress.ip_network(s["source"])
            if not src.overlaps(net):
                fail("%s: source %s of %s does not overlap it" % (fmt, src, net))
            if s.get("host") and ipaddress.ip_address(s["host"]) not in src:
                fail("%s: host %s outside its source %s" % (fmt, s["host"], src))
    for s in p["excluded"]:
        if not s.get("excluded"):
            fail("%s: excluded source %s says why" % (fmt, s["source"]))
    return p, want


def check_lists(d, base, schemas):
    ref = None
    for fmt in FORMATS:
        path = os.path.join(d, "%s.%s" % (base, fmt))
        p, want = check_provenance(fmt, path)
        got = entries_of(fmt, path)
        if fmt == "netset":
            want = [n for n in want if n.version == 4]
        check(got == want, "%s: %d entries, in the provenance's order" % (fmt, len(got)))
        nets = sorted(got, key=lambda n: (n.version, n.network_address))
        for a, b in zip(nets, nets[1:]):
            if a.version == b.version and a.overlaps(b):
                fail("%s: %s overlaps %s" % (fmt, a, b))
        for n in got:
            lim = p["min_prefix"] if n.version == 4 else p["min_prefix_v6"]
            if n.prefixlen < lim:
                fail("%s: %s is wider than /%d" % (fmt, n, lim))
        if p["restricted_licences"]:
            text = open(path, encoding="utf-8").read()
            check(p["restricted_licences"] in text,
                  "%s: names the restricted licences (%s)" % (fmt, p["restricted_licences"]))
        if fmt != "netset":
            ref = ref or got
            check(sorted(map(str, got)) == sorted(map(str, ref)), "%s: same entries as denylist" % fmt)
        if fmt == "stix-indicators":
            check_stix(path, schemas)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "collapse":
        collapse(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "lists":
        check_lists(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
