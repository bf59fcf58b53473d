#!/usr/bin/python3
"""sweep_check.py: checks for tests/integration/sweep_lab.sh (stdlib only).

  sweep_check.py events JSONL EXPECTED   the events, one canonical line
                                         each, equal EXPECTED exactly
  sweep_check.py canon JSONL             print the canonical lines
  sweep_check.py ids JSONL               print the event ids, sorted
  sweep_check.py webhook LOG RUN_IDS_FILE STATUSES
                                         the receiver got one delivery for
                                         the run (attempts answered with
                                         STATUSES, e.g. 500,500,200), every
                                         signature verifies, every body
                                         parses, and the accepted body's
                                         event ids equal RUN_IDS_FILE's
  sweep_check.py syslog LOG N            N lines, each an RFC 5424 message
                                         whose MSG is an event's JSON
  sweep_check.py mail FILE SUBJECT_PART  one message, headers without CR
                                         and without network text

Canonical line: type severity ip port field extra, where extra holds the
facts the issue's expected table names (ports, same_spki, changed http
fields, the identity's target and evidence kinds, the cluster's sizes).
Values that differ per lab (hashes, keys) are left out on purpose.
"""
import json
import re
import sys

TYPES = {"host.new", "host.gone", "host.back", "port.open", "port.closed",
         "service.changed", "tls.cert_changed", "tls.jarm_changed",
         "ssh.hostkey_changed", "ssh.hassh_changed", "http.changed",
         "tcp.sig_changed", "identity.moved", "watch.hit",
         "cluster.member_added", "cluster.member_removed", "cluster.growth",
         "sweep.completed", "sweep.failed"}
KEYS = ["schema", "id", "type", "severity", "sweep", "run_from", "run_to",
        "observed_at", "ip", "port", "field", "before", "after", "details"]


def fail(msg):
    sys.exit("sweep_check: " + msg)


def check_shape(e):
    if list(e.keys())[:len(KEYS)] != KEYS:
        fail("keys out of order or missing: %s" % list(e.keys()))
    if e["schema"] != "bphound.event/1" or e["type"] not in TYPES:
        fail("bad schema or type: %r" % e)
    if not re.fullmatch(r"[0-9a-f]{32}", e["id"]):
        fail("bad id %r" % e["id"])
    if e["severity"] not in ("info", "low", "medium", "high", "critical"):
        fail("bad severity %r" % e["severity"])
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["observed_at"]):
        fail("bad observed_at %r" % e["observed_at"])


def extra(e):
    t, b, a, d = e["type"], e["before"], e["after"], e["details"]
    if t in ("host.new", "host.back"):
        return "ports=" + ",".join(map(str, a["ports"]))
    if t == "host.gone":
        return "ports=" + ",".join(map(str, b["ports"]))
    if t in ("port.open", "port.closed"):
        return "proto=%s" % (a or b)["proto"]
    if t == "tls.cert_changed":
        return "same_spki=%s" % str(d["same_spki"]).lower()
    if t == "http.changed":
        return "fields=" + ",".join(d["fields"])
    if t == "identity.moved":
        kinds = ",".join(x["kind"] for x in e["evidence"])
        return "to=%s evidence=%s" % (a["ip"], kinds)
    if t == "watch.hit":
        return "kind=%s source=%s" % (e["watch"]["kind"],
                                      e["watch"]["source"])
    if t.startswith("cluster."):
        c = e["cluster"]
        return "cluster=%s:%d>%d" % (c["name"], c["size_before"],
                                     c["size_after"])
    return "-"


def canon(e):
    check_shape(e)
    return "%s %s %s %s %s %s" % (
        e["type"], e["severity"], e["ip"] or "-",
        "-" if e["port"] is None else e["port"], e["field"] or "-", extra(e))


def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def cmd_events(jsonl, expected):
    got = sorted(canon(e) for e in load(jsonl))
    with open(expected) as f:
        want = sorted(l.strip() for l in f
                      if l.strip() and not l.startswith("#"))
    if got != want:
        for l in sorted(set(want) - set(got)):
            print("missing: " + l)
        for l in sorted(set(got) - set(want)):
            print("extra:   " + l)
        if len(got) != len(set(got)) or len(want) != len(set(want)):
            print("(duplicates: %d got, %d wanted)" % (len(got), len(want)))
        fail("events differ from %s" % expected)


def cmd_webhook(log, ids_file, statuses):
    want_status = [int(s) for s in statuses.split(",")]
    recs = load(log)
    if len({r["delivery"] for r in recs}) != 1:
        fail("deliveries: %s" % sorted({r["delivery"] for r in recs}))
    if [r["status"] for r in recs] != want_status:
        fail("statuses %s, wanted %s" % ([r["status"] for r in recs],
                                        want_status))
    for r in recs:
        if not r["signature_ok"]:
            fail("a signature does not verify")
        # the sweep runs as root: its delivery child must have dropped
        if r.get("peer_uid") in (None, 0):
            fail("a POST came from uid %s, not the dropped child" %
                 r.get("peer_uid"))
        body = json.loads(r["body"])
        if body["schema"] != "bphound.digest/1" or \
                body["delivery"] != r["delivery"]:
            fail("bad digest envelope")
        if r["body"] != recs[0]["body"]:
            fail("a retry carried another body")
    body = json.loads(recs[-1]["body"])
    ids = sorted(e["id"] for e in body["events"])
    with open(ids_file) as f:
        want = sorted(l.strip() for l in f if l.strip())
    if ids != want or body["total"] != len(want) or body["more"]:
        fail("webhook ids differ from the diff's (%d vs %d)" %
             (len(ids), len(want)))


def cmd_syslog(log, n):
    with open(log, "rb") as f:
        lines = [l.rstrip(b"\n") for l in f]
    if len(lines) != int(n):
        fail("%d syslog lines, wanted %s" % (len(lines), n))
    for l in lines:
        if any(c < 0x20 or c > 0x7e for c in l):
            fail("a syslog line holds a control or non-ASCII byte")
        m = re.fullmatch(rb"<(\d+)>1 \S+ \S+ bphound - (\S+) - (\{.*\})", l)
        if not m:
            fail("not an RFC 5424 line: %r" % l[:120])
        e = json.loads(m.group(3))
        check_shape(e)
        if e["type"].encode() != m.group(2):
            fail("MSGID differs from the event type")


def cmd_mail(path, subject_part):
    raw = open(path, "rb").read()
    head, _, body = raw.partition(b"\n\n")
    if b"\r" in head:
        fail("a CR in the mail headers")
    for h in head.split(b"\n"):
        if not re.fullmatch(rb"[A-Za-z-]+: [\x20-\x7e]*", h):
            fail("odd header line %r" % h)
    subj = [h for h in head.split(b"\n") if h.startswith(b"Subject: ")]
    if len(subj) != 1 or subject_part.encode() not in subj[0]:
        fail("subject %r" % subj)
    if any(c < 0x20 and c not in (9, 10) for c in body):
        fail("a control byte in the mail body")


def main(argv):
    cmds = {"events": (cmd_events, 2), "webhook": (cmd_webhook, 3),
            "syslog": (cmd_syslog, 2), "mail": (cmd_mail, 2)}
    if argv[:1] == ["canon"] and len(argv) == 2:
        for e in sorted(canon(e) for e in load(argv[1])):
            print(e)
    elif argv[:1] == ["ids"] and len(argv) == 2:
        for i in sorted(e["id"] for e in load(argv[1])):
            print(i)
    elif argv[:1] and argv[0] in cmds and len(argv) == cmds[argv[0]][1] + 1:
        cmds[argv[0]][0](*argv[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
