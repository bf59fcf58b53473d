#!/usr/bin/env bash
# abuse_lab.sh - issue 12's reports and deny lists on the lab (tests/lab/
# lab.sh with its hostile hosts, prefix bphab<pid>, torn down on every
# exit):
#   1. `bphound pivot` from the lab's seed inside the scanner namespace;
#   2. `bphound data import` of the lab's fixture registry, routing and
#      list files (tests/data/abuse/: data about the lab's 198.18.x
#      addresses only; nothing beyond the lab is scanned);
#   3. `bphound report` of provider A's cluster (--dry-run, then to the
#      provider and its upstreams), of provider B's, and of the hostile
#      host whose page title is markup, control characters and invalid
#      UTF-8 and whose registry data is hostile too; check_report.py reads
#      every report back (Python's email package, csv, the XARF v4
#      schemas) and checks the recipients against the fixture data;
#   4. `bphound export` of provider A's cluster in the six deny-list
#      formats; check_deny.py (ipaddress, provenance, the DShield licence
#      in every header, the STIX 2.1 schemas), `nft -c -f` and `ipset
#      restore` inside a throwaway namespace.
# Schemas: BPH_SCHEMAS or ../shared/schemas (a SKIP line without them).
# usage: tests/integration/abuse_lab.sh   (BPH_BUILD: build directory)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/schemas.sh"
schemas=$(bph_schemas "$top")
data=$top/tests/data/abuse
. "$top/tests/integration/lib/labtest.sh"
labtest_init ablab bphab
check_ns=bphabc$$
labtest_more_cleanup() {
	ip netns del "$check_ns" 2>/dev/null || true
}
py() { /usr/bin/python3 "$@"; }
db=$work/lab.db

LAB_HOSTILE=1 bash "$top/tests/lab/lab.sh" --prefix "$prefix" up "$work/lab"
truth=$work/lab/truth.json
nsx() { ip netns exec "$prefix-scan" "$@"; }
seed=$(py -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$truth")
ranges=$(py -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["ranges"]))' "$truth")
ports=$(py -c 'import json,sys; t=json.load(open(sys.argv[1])); print(",".join(str(p) for p in sorted({p for h in t["hosts"] for p in h["open_ports"]})))' "$truth")
member() { # member PROVIDER: a host of that provider other than the seed
	py -c 'import json,sys; t=json.load(open(sys.argv[1])); print([h["ip"] for h in t["hosts"] if h.get("provider")==sys.argv[2] and h["ip"]!=t["seed"]][0])' "$truth" "$1"
}
strings_ip=$(py -c 'import json,sys; print([h["ip"] for h in json.load(open(sys.argv[1]))["hosts"] if "strings" in h.get("hostile", {}).values()][0])' "$truth")

nsx timeout -s INT 300 "$bin" pivot "$seed" --ranges "$ranges" -p "$ports" \
	--allow-reserved --db "$db" -q >"$work/pivot.txt"
"$bin" data import "$data"/lab.ripe.db "$data"/routeviews-rv2-20261206-1200.pfx2as \
	"$data"/20261201.as-rel.txt "$data"/asndrop.json "$data"/drop_v4.json \
	"$data"/block.txt --db "$db" -q

# 3. reports
"$bin" report "$seed" --to provider,upstreams --dry-run --db "$db" >"$work/dry.txt"
grep -q "^abuse@alpha-hosting.example (provider): 4 hosts" "$work/dry.txt"
grep -q "found: abuse-c ALPHAAB1-TEST of inetnum 198.18.10.0/28" "$work/dry.txt"
grep -q "organisation ORG-ALPHA1-TEST" "$work/dry.txt"
grep -q "^noc-abuse@transit-two.example (upstream)" "$work/dry.txt"
echo "ok   report --dry-run: the recipients and how each was found"
[[ ! -e $work/rep ]]
contact="Example CERT <cert@cert.example>"
"$bin" report "$seed" --to provider,upstreams --db "$db" --contact "$contact" \
	--outdir "$work/rep/a" -q
py "$top/tests/integration/check_report.py" "$work/rep/a" "${schemas:-}" \
	--expect-mailbox abuse@alpha-hosting.example \
	--expect-mailbox abuse@transit-one.example \
	--expect-mailbox noc-abuse@transit-two.example
b=$(member B)
"$bin" report "$b" --db "$db" --contact "$contact" --outdir "$work/rep/b" -q
py "$top/tests/integration/check_report.py" "$work/rep/b" "${schemas:-}" \
	--expect-mailbox abuse@lir.example
"$bin" report "$strings_ip" --to provider,upstreams --db "$db" --contact "$contact" \
	--outdir "$work/rep/h" -q
py "$top/tests/integration/check_report.py" "$work/rep/h" "${schemas:-}" --hostile \
	--expect-mailbox abuse@hostile-org.example \
	--expect-mailbox abuse@transit-one.example \
	--expect-mailbox noc-abuse@transit-two.example
# the hostile title and server header reached the summary as they are,
# their control characters escaped (\u{0001}), never a header
py - "$work/rep/h" <<'EOF'
import email, email.policy, glob, re, sys
p = sorted(glob.glob(sys.argv[1] + "/01-*.eml"))[0]
m = email.message_from_bytes(open(p, "rb").read(), policy=email.policy.default)
text = m.get_body(("plain",)).get_content()
assert 'page title (port 80): "<script>alert("x")</script>' in text, text[:3000]
assert 'server (port 80): "<b>"x"\\u{0001}</b>"' in text, text[:3000]
assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
assert str(m["To"]) == "abuse@hostile-org.example"
print("ok   hostile: title and server in the summary, escaped; To is %s" % m["To"])
EOF

# 4. deny lists of provider A's cluster
mkdir "$work/deny"
for f in denylist spamhaus netset nft ipset stix-indicators; do
	"$bin" export --format "$f" "$seed" --allow-reserved --db "$db" \
		-o "$work/deny/list.$f" -q
done
py "$top/tests/integration/check_deny.py" lists "$work/deny" list "${schemas:-}"
grep -q "LICENCE: .*CC BY-NC-SA" "$work/deny/list.nft"
ip netns add "$check_ns"
ip netns exec "$check_ns" nft -c -f "$work/deny/list.nft"
ip netns exec "$check_ns" ipset restore <"$work/deny/list.ipset"
echo "ok   lab deny lists: nft -c and ipset restore accept them (namespace $check_ns)"
