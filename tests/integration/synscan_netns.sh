#!/bin/bash
# Live SYN-scan test in private network namespaces (run as root).
#
#   bphss-scan (198.18.200.2) -- bphss-rtr (.1 | .65) -- bphss-tgt (.66-.69)
#
# The router decrements the TTL, so SYN-ACKs arrive with TTL 63. In the
# target namespace: HTTP on .66:80, listeners on .66:8080, .66:8443 and
# .68:22 (the first SYN to .66:8443 is dropped, so only the retry opens it),
# nftables drops everything to .69, rejects port 9001 with ICMP
# admin-prohibited, and drops the whole 198.19.0.0/16 that the router
# sends its way (the rate sweep). Every address lives in 198.18.0.0/15
# inside these namespaces; the trap deletes them on any exit.
#
# usage: synscan_netns.sh [BUILD_DIR] ; SWEEP_RATES=1000,10000 to change
# (the default leaves out 1,000 pps, 65 s for the /16: the --rate
# section sends at 100 and 1,000 pps already)
set -euo pipefail

BUILD=${1:-$(dirname "$0")/../../build}
BIN=$BUILD/test_scanner_synscan_live
P=bphss NET=200
. "$(dirname "$0")/lib/netns3.sh"
RATES=${SWEEP_RATES:-10000,100000,1000000000}
WORK=$(mktemp -d /tmp/bphss.XXXXXX)
trap netns3_cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
[ -x "$BIN" ] || { echo "build $BIN first" >&2; exit 1; }

netns3_up
for a in 67 68 69; do ip -n $TGT addr add 198.18.200.$a/26 dev bphss-t0; done
ip -n $RTR route add 198.19.0.0/16 via 198.18.200.66

nsx $TGT nft -f - <<'NFT'
table ip bphss {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip daddr 198.19.0.0/16 drop
	}
	chain input {
		type filter hook input priority 0; policy accept;
		ip daddr 198.18.200.69 drop
		tcp dport 9001 reject with icmp type admin-prohibited
		ip daddr 198.18.200.66 tcp dport 8443 tcp flags & (syn|ack) == syn numgen inc mod 2 == 0 drop
	}
}
NFT

listen() { # addr port
	ip netns exec $TGT python3 -c "
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$1', $2)); s.listen(128)
while True:
    c, _ = s.accept(); c.close()" &
	PIDS+=($!)
}
ip netns exec $TGT python3 -m http.server 80 --bind 198.18.200.66 >/dev/null 2>&1 &
PIDS+=($!)
listen 198.18.200.66 8080
listen 198.18.200.66 8443
listen 198.18.200.68 22
for i in $(seq 50); do
	n=$(nsx $TGT ss -Hltn | grep -c -E '198\.18\.200\.6[68]:(80|8080|8443|22) ' || true)
	[ "$n" = 4 ] && break
	sleep 0.1
done
[ "$n" = 4 ] || { echo "listeners did not start" >&2; exit 1; }

# ground truth, one entry per (address, port)
EXPECT=""
for a in 66 67 68 69; do
	for p in 22 80 8080 8443 9001; do
		s=closed
		case "$a:$p" in
		66:80 | 66:8080 | 66:8443 | 68:22) s=open ;;
		69:* | *:9001) s=filtered ;;
		esac
		EXPECT+="198.18.200.$a:$p=$s,"
	done
done
EXPECT=${EXPECT%,}

# capture the scan for p0f, the signature oracle. On the router's side of
# the scanner link: SYNs sent with PACKET_QDISC_BYPASS skip the sending
# host's own taps, and the router has already decremented the SYN-ACKs.
ip netns exec $RTR tcpdump -q -i bphss-r0 -w "$WORK/scan.pcap" -U tcp 2>/dev/null &
TCPDUMP=$!
PIDS+=($TCPDUMP)
sleep 0.5

echo "== verdicts"
nsx $SCAN env BPH_NETNS_TARGET=198.18.200.66-198.18.200.69 \
	BPH_NETNS_PORTS=22,80,8080,8443,9001 BPH_NETNS_EXPECT="$EXPECT" \
	BPH_NETNS_EXPECT_SENT=26 \
	BPH_NETNS_SIG_PREFIX="4:63+1:0:1460:" \
	BPH_NETNS_SIGS_OUT="$WORK/sigs.txt" "$BIN"
sleep 0.5
kill $TCPDUMP; wait $TCPDUMP 2>/dev/null || true

echo "== p0f oracle"
if command -v p0f >/dev/null; then
	p0f -r "$WORK/scan.pcap" | awk '
		/\(syn\+ack\)/ { split($0, a, "-> "); split(a[2], b, " "); srv = b[1]; sub("/", ":", srv) }
		/raw_sig/ && srv != "" { sub(/.*= /, ""); print srv, $0; srv = "" }' |
		sort -u >"$WORK/p0f.txt"
	sort -u "$WORK/sigs.txt" >"$WORK/ours.txt"
	cat "$WORK/ours.txt"
	if ! diff -u "$WORK/p0f.txt" "$WORK/ours.txt"; then
		echo "FAIL: signatures differ from p0f" >&2
		exit 1
	fi
	[ "$(wc -l <"$WORK/ours.txt")" = 4 ] || { echo "FAIL: want 4 sigs" >&2; exit 1; }
	echo "p0f agrees on $(wc -l <"$WORK/ours.txt") signatures"
	# our SYNs should read as a Linux SYN to p0f
	syn=$(p0f -r "$WORK/scan.pcap" | grep -A9 '(syn)' | grep raw_sig | sort -u)
	[ "$syn" = "| raw_sig  = 4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0" ] ||
		{ echo "FAIL: SYN signature: $syn" >&2; exit 1; }
	echo "p0f reads our SYN as: ${syn#*= }"
else
	echo "p0f not installed; skipped"
fi

if [ -x "$BUILD/bphound" ]; then
	echo "== bphound scan --no-probes (the CLI on the same engine)"
	set +e
	nsx $SCAN "$BUILD/bphound" scan 198.18.200.66-198.18.200.69 \
		-p 22,80,8080,9001 --no-probes --quiet -o "$WORK/out.jsonl" \
		>/dev/null 2>"$WORK/noreserved.err"
	rc=$?
	set -e
	[ $rc = 2 ] || { echo "FAIL: reserved targets not refused (rc $rc)" >&2; exit 1; }
	nsx $SCAN "$BUILD/bphound" scan 198.18.200.66-198.18.200.69 \
		-p 22,80,8080,9001 --allow-reserved --no-probes --quiet \
		--wait 1000 -o "$WORK/out.jsonl" >/dev/null
	got=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("state") == "open":
        print("%s:%d %s" % (r["ip"], r["port"], r["tcp"]["sig"]))' "$WORK/out.jsonl" | sort)
	want=$(grep -v ':8443 ' "$WORK/ours.txt" | sort)
	[ "$got" = "$want" ] || { echo "FAIL: bphound: $got" >&2; exit 1; }
	echo "bphound reports the same open ports and signatures"
fi

if [ -x "$BUILD/bphound" ]; then
	# --rate held? Measured where the SYNs arrive: the router's rx counter
	# on the scanner link, sampled every 5 ms; rate = the middle 80 % of
	# the probes over the time they took. Reported, not asserted (tests
	# check correctness, never timings).
	echo "== --rate accuracy at the router (reported only)"
	for spec in 100:198.19.0.0/24:80 1000:198.19.0.0/21:80 \
		10000:198.19.0.0/18:80 100000:198.19.0.0/16:80,81 \
		1000000:198.19.0.0/16:80,81,82,83,84,85,86,87; do
		IFS=: read -r rate range ports <<<"$spec"
		nports=$(tr ',' '\n' <<<"$ports" | wc -l)
		n=$(( (1 << (32 - ${range#*/})) * nports ))
		ip netns exec $RTR /usr/bin/python3 -c '
import sys, time
path, n = sys.argv[1], int(sys.argv[2])
f = open(path)
def rd():
    f.seek(0); return int(f.read())
base = rd(); lo, hi = base + n // 10, base + n * 9 // 10
t_lo = t_hi = None; end = time.monotonic() + 60
while time.monotonic() < end and t_hi is None:
    v = rd(); t = time.monotonic()
    if t_lo is None and v >= lo: t_lo = (t, v)
    if v >= hi: t_hi = (t, v)
    time.sleep(0.005)
if t_lo and t_hi and t_hi[0] > t_lo[0]:
    r = (t_hi[1] - t_lo[1]) / (t_hi[0] - t_lo[0])
    print("rate %s: %.0f pps at the router (%+.1f%%)" % (sys.argv[3], r, 100 * (r / float(sys.argv[3]) - 1)))
else:
    print("rate %s: not measured" % sys.argv[3])' \
			/sys/class/net/bphss-r0/statistics/rx_packets "$n" "$rate" &
		SAMPLER=$!
		sleep 0.2
		nsx $SCAN "$BUILD/bphound" scan "$range" -p "$ports" \
			--allow-reserved --no-probes --retries 0 --wait 0 \
			--rate "$rate" --db "$WORK/rate.db" 2>&1 |
			sed -n 's/.*probes sent in \(.*\)/  bphound: \1/p'
		wait $SAMPLER
	done
fi

echo "== /16 sweep into a dropping target (rates $RATES)"
nsx $SCAN env BPH_NETNS_SWEEP=198.19.0.0/16 BPH_NETNS_RATES="$RATES" "$BIN"
echo "PASS"
