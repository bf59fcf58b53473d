#!/usr/bin/env bash
# deny_lists.sh - deny lists read back by the programs that consume them:
#   1. aggregation: tests/unit/test_abuse_cidr.c's random cases (IPv4 and
#      IPv6) against Python's ipaddress.collapse_addresses;
#   2. every format of test_abuse_denylist.c's list (hostile name, a
#      restricted licence, an allowlisted host, IPv6) through
#      check_deny.py: the same entries in every format and in the
#      provenance file, none wider than the minimum prefix, the licence in
#      every header, the STIX bundle against the STIX 2.1 schemas
#      (BPH_SCHEMAS or ../shared/schemas; a SKIP line without them);
#   3. `nft -c -f` on the nft file and `ipset restore` of the ipset file
#      (loaded twice: a reload swaps), each inside a network namespace
#      made here and removed on exit, so the host's ruleset is never
#      touched; the sets ipset holds afterwards are the file's entries.
# usage: tests/integration/deny_lists.sh   (BPH_BUILD: build directory;
# needs root, nftables, ipset, /usr/bin/python3 with python3-jsonschema)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BPH_BUILD:-$top/build}
. "$top/tests/lib/schemas.sh"
schemas=$(bph_schemas "$top")
work=$(mktemp -d /tmp/bph-deny.XXXXXX)
ns=bphdl$$
cleanup() {
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
py() { /usr/bin/python3 "$@"; }

for t in test_abuse_cidr test_abuse_denylist; do
	[[ -x $build/$t ]] || { echo "build $build/$t first" >&2; exit 2; }
done
for tool in nft ipset /usr/bin/python3; do
	command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

mkdir "$work/agg" "$work/lists"
BPH_AGG_DIR=$work/agg "$build/test_abuse_cidr" >"$work/cidr.log" 2>&1 ||
	{ cat "$work/cidr.log"; exit 1; }
py "$top/tests/integration/check_deny.py" collapse "$work/agg"

BPH_DENY_DIR=$work/lists "$build/test_abuse_denylist" >"$work/deny.log" 2>&1 ||
	{ cat "$work/deny.log"; exit 1; }
py "$top/tests/integration/check_deny.py" lists "$work/lists" list "${schemas:-}"

ip netns add "$ns"
ip netns exec "$ns" nft -c -f "$work/lists/list.nft"
echo "ok   nft -c -f accepts list.nft (in namespace $ns)"
ip netns exec "$ns" ipset restore <"$work/lists/list.ipset"
ip netns exec "$ns" ipset restore <"$work/lists/list.ipset"
ip netns exec "$ns" ipset list >"$work/ipset.txt"
py - "$work/ipset.txt" "$work/lists/list.ipset" <<'PY'
import ipaddress, re, sys
held, name = {}, None
for l in open(sys.argv[1]):
    l = l.strip()
    if l.startswith("Name: "):
        name = l[6:]
        held[name] = set()
    elif name and re.match(r"^[0-9a-f:.]+(/\d+)?$", l):
        held[name].add(ipaddress.ip_network(l))
want = {}
for l in open(sys.argv[2]):
    if l.startswith("add "):
        _, s, e = l.split()
        want.setdefault(s.removesuffix("_tmp"), set()).add(ipaddress.ip_network(e))
assert not any(n.endswith("_tmp") for n in held), held.keys()
assert held == want, (held, want)
print("ok   ipset restore (twice) holds exactly the file's %d entries in %s"
      % (sum(map(len, want.values())), " ".join(sorted(want))))
PY
