# netns3.sh - sourced by the netns integration tests: three namespaces in a
# line, scanner -- router -- target, on 198.18.NET.0/26 links, nothing in
# the root namespace, everything removed on exit.
#
#   P-scan  P-s0 198.18.NET.2/26 == P-r0 198.18.NET.1/26   P-rtr (ip_forward)
#   P-rtr   P-r1 198.18.NET.65/26 == P-t0 198.18.NET.66/26 P-tgt
#
# Usage: P=bphss NET=200; . lib/netns3.sh; WORK=...; trap netns3_cleanup
# EXIT INT TERM; netns3_up; ... Sets SCAN, RTR, TGT; nsx NS CMD... runs in NS.
# Both ends route 198.18.0.0/15 through the router; the caller adds the
# target's extra addresses and the router's routes to them.

SCAN=$P-scan RTR=$P-rtr TGT=$P-tgt

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Kills what still runs in the namespaces (listeners, captures), then
# deletes them.
netns3_down() {
	local n p
	for n in $SCAN $RTR $TGT; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	done
	wait 2>/dev/null || true
	for n in $SCAN $RTR $TGT; do ip netns del "$n" 2>/dev/null || true; done
}

PIDS=() # background jobs of the test, stopped by netns3_cleanup

# The tests' trap: stops PIDS, removes the namespaces and, unless KEEP is
# set, the test's WORK directory.
netns3_cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	netns3_down
	[ -z "${WORK:-}" ] || [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}

netns3_up() {
	local n l
	for n in $SCAN $RTR $TGT; do ip netns del "$n" 2>/dev/null || true; done
	for n in $SCAN $RTR $TGT; do ip netns add "$n"; ip -n "$n" link set lo up; done
	ip link add "$P-s0" netns $SCAN type veth peer name "$P-r0" netns $RTR
	ip link add "$P-r1" netns $RTR type veth peer name "$P-t0" netns $TGT
	ip -n $SCAN addr add "198.18.$NET.2/26" dev "$P-s0"
	ip -n $RTR addr add "198.18.$NET.1/26" dev "$P-r0"
	ip -n $RTR addr add "198.18.$NET.65/26" dev "$P-r1"
	ip -n $TGT addr add "198.18.$NET.66/26" dev "$P-t0"
	for l in "$P-s0:$SCAN" "$P-r0:$RTR" "$P-r1:$RTR" "$P-t0:$TGT"; do
		ip -n "${l#*:}" link set "${l%:*}" up
	done
	ip -n $SCAN route add 198.18.0.0/15 via "198.18.$NET.1"
	ip -n $TGT route add 198.18.0.0/15 via "198.18.$NET.65"
	nsx $RTR sysctl -qw net.ipv4.ip_forward=1
}
