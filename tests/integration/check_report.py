#!/usr/bin/python3
"""Independent readers of bphound's abuse reports.

usage: check_report.py DIR SCHEMAS [--expect-mailbox M]... [--hostile]

DIR holds NN-ROLE-MAILBOX.eml and .json pairs of one `bphound report` run.
Checks, for each pair:
  - the .eml parses with Python's email package (policy.default) without a
    defect, its header block is printable ASCII with lines of at most 78
    characters, and it has exactly the headers bphound writes (From, To,
    Subject, Date, Message-ID, MIME-Version, Content-Type): nothing a
    registry or network string could have added;
  - To is the JSON's recipient; From's address is the reporter's; the
    Message-ID holds the report id; Subject decodes to text without a
    control character;
  - multipart/mixed: a text/plain UTF-8 summary naming every host, the
    report id and the reporter (an upstream's also cites the provider
    report's id), one application/json XARF report per host equal to the
    JSON's, and evidence.csv (Python's csv) with a row per observation;
  - every XARF report validates against xarf-v4-master.json (jsonschema,
    format checks on) from SCHEMAS (a SKIP line naming DIR when there are none),
    and its evidence payload decodes to bytes whose SHA-256 and size are
    the ones it states.
With --expect-mailbox, the recipients are exactly those. With --hostile,
no header holds "Bcc", "victim@" or a control character after decoding.
Prints "ok ..." lines; exits 1 at the first failure.
"""
import base64
import csv
import email
import email.policy
import glob
import hashlib
import io
import json
import os
import re
import sys

HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def xarf_validator(schemas):
    if not schemas or not os.path.isdir(os.path.join(schemas, "xarf-v4")):
        return None
    import jsonschema
    root = os.path.join(schemas, "xarf-v4")
    store = {}
    for p in glob.glob(os.path.join(root, "*.json")) + glob.glob(os.path.join(root, "types", "*.json")):
        with open(p, encoding="utf-8") as f:
            s = json.load(f)
        store[s["$id"]] = s
    master = store["https://xarf.org/schemas/v4/xarf-v4-master.json"]
    cls = jsonschema.validators.validator_for(master)
    resolver = jsonschema.RefResolver(base_uri=master["$id"], referrer=master, store=store)
    return cls(master, resolver=resolver, format_checker=jsonschema.FormatChecker())


def check_headers(raw, path, hostile):
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        if any(c < 0x20 or c > 0x7e for c in line if c != 0x09):
            fail("%s: header line with a non-ASCII or control byte: %r" % (path, line[:80]))
        if len(line) > 78:
            fail("%s: header line of %d characters" % (path, len(line)))
    names = [l.split(b":", 1)[0].decode() for l in head.split(b"\r\n") if l and l[:1] not in b" \t"]
    if sorted(names) != sorted(HEADERS):
        fail("%s: headers %s, not %s" % (path, names, HEADERS))
    if hostile and re.search(rb"(?i)^bcc:", head, re.M):
        fail("%s: a Bcc header" % path)


def check_text(msg, side, path):
    body = msg.get_body(("plain",))
    if body is None or body.get_content_charset() != "utf-8":
        fail("%s: no text/plain UTF-8 summary" % path)
    text = body.get_content()
    for h in side["hosts"]:
        if h["ip"] not in text:
            fail("%s: the summary does not name %s" % (path, h["ip"]))
    for want in [side["report_id"], side["reporter"]["contact"], "UTC", "HOW TO VERIFY"]:
        if want not in text:
            fail("%s: the summary lacks %r" % (path, want))
    for c in side["cites"]:
        if c["report_id"] not in text:
            fail("%s: the summary does not cite report %s" % (path, c["report_id"]))
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202e]|\r(?!\n)", text):
        fail("%s: a control character in the summary" % path)


def check_parts(msg, side, path, validator):
    parts = [p for p in msg.iter_parts()]
    js = [p for p in parts if p.get_content_type() == "application/json"]
    cs = [p for p in parts if p.get_content_type() == "text/csv"]
    if len(js) != len(side["hosts"]) or len(cs) != 1:
        fail("%s: %d XARF parts for %d hosts, %d csv" % (path, len(js), len(side["hosts"]), len(cs)))
    for part, want in zip(js, side["xarf"]):
        x = json.loads(part.get_content())
        if x != want or part.get_filename() != "xarf-%s.json" % x["source_identifier"]:
            fail("%s: %s differs from the JSON's XARF report" % (path, part.get_filename()))
        if validator is not None:
            errs = [e.message for e in validator.iter_errors(x)]
            if errs:
                fail("%s: XARF of %s: %s" % (path, x["source_identifier"], "; ".join(errs[:3])))
        for ev in x.get("evidence", []):
            data = base64.b64decode(ev["payload"], validate=True)
            if ev["hash"] != "sha256:" + hashlib.sha256(data).hexdigest() or ev["size"] != len(data):
                fail("%s: evidence hash or size of %s" % (path, x["source_identifier"]))
    rows = list(csv.DictReader(io.StringIO(cs[0].get_content())))
    ips = {h["ip"] for h in side["hosts"]}
    if not rows or {r["ip"] for r in rows} - ips:
        fail("%s: evidence.csv rows %d, hosts %s" % (path, len(rows), {r["ip"] for r in rows} - ips))
    return len(js), len(rows)


def check_pair(path, validator, hostile):
    raw = open(path, "rb").read()
    side = json.load(open(path[:-4] + ".json", encoding="utf-8"))
    check_headers(raw, path, hostile)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    defects = [d for p in msg.walk() for d in p.defects]
    if defects:
        fail("%s: email defects %s" % (path, defects))
    if msg.get_content_type() != "multipart/mixed":
        fail("%s: %s, not multipart/mixed" % (path, msg.get_content_type()))
    if str(msg["To"]) != side["recipient"]["mailbox"]:
        fail("%s: To %r, JSON %r" % (path, str(msg["To"]), side["recipient"]["mailbox"]))
    if msg["From"].addresses[0].addr_spec != side["reporter"]["contact"]:
        fail("%s: From %s" % (path, msg["From"]))
    if side["report_id"] not in str(msg["Message-ID"]):
        fail("%s: Message-ID %s lacks %s" % (path, msg["Message-ID"], side["report_id"]))
    subject = str(msg["Subject"])
    if re.search(r"[\x00-\x1f\x7f]", subject) or (hostile and ("Bcc" in subject and "\n" in subject)):
        fail("%s: subject %r" % (path, subject))
    check_text(msg, side, path)
    n_x, n_rows = check_parts(msg, side, path, validator)
    print("ok   %s: to %s, %d XARF reports, %d evidence rows, subject %r"
          % (os.path.basename(path), side["recipient"]["mailbox"], n_x, n_rows, subject[:60]))
    return side


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__)
        sys.exit(2)
    d, schemas = args[0], args[1]
    expect = [args[i + 1] for i, a in enumerate(args) if a == "--expect-mailbox"]
    hostile = "--hostile" in args
    validator = xarf_validator(schemas)
    if validator is None:
        print("SKIP xarf: the XARF v4 reports of %s against xarf-v4-master.json "
              "(no schemas: set BPH_SCHEMAS or put shared/schemas beside the clone)"
              % os.path.basename(d.rstrip("/")))
    emls = sorted(glob.glob(os.path.join(d, "*.eml")))
    if not emls:
        fail("%s: no .eml" % d)
    sides = [check_pair(p, validator, hostile) for p in emls]
    got = sorted(s["recipient"]["mailbox"] for s in sides)
    if expect and got != sorted(expect):
        fail("recipients %s, expected %s" % (got, sorted(expect)))
    if validator is not None:
        print("ok   every XARF report validates against xarf-v4-master.json")
    ids = {s["report_id"]: s for s in sides}
    for s in sides:
        for c in s["cites"]:
            if c["report_id"] not in ids or "provider" not in ids[c["report_id"]]["recipient"]["roles"]:
                fail("%s cites %s, not a provider report of this run" % (s["eml"], c["report_id"]))
    print("ok   %d reports to %d distinct recipients; every citation is a provider report"
          % (len(sides), len(set(got))))


if __name__ == "__main__":
    main()
