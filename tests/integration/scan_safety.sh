#!/bin/bash
# What a scan refuses or settles before its first packet, how it stops,
# and whom it leaves alone (issue 9: defects 5-8, part 4's opt-out files,
# --allow-large and --contact), in private network namespaces (as root):
#
#   P-scan (198.18.NET.2/26) -- P-rtr (.1 | .65) -- P-tgt (.66)
#
# The scanner namespace routes 198.18.0.0/15 through the router and has
# no other route, so even a check that regressed could not send a packet
# out of these namespaces. Every refusal below must also leave the
# scanner's interfaces' transmit counters where they were (nothing sent)
# and the store without a new run to resume. The trap deletes the
# namespaces on any exit.
#
# usage: scan_safety.sh [BUILD_DIR]
set -euo pipefail

BUILD=${1:-${BPH_BUILD:-$(dirname "$0")/../../build}}
BPH=$BUILD/bphound
P=bphsf$$ NET=220
. "$(dirname "$0")/lib/netns3.sh"
WORK=$(mktemp -d /tmp/bphsf.XXXXXX)
trap netns3_cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
[ -x "$BPH" ] || { echo "build $BPH first" >&2; exit 1; }
netns3_up
# no IPv6 chatter (router solicitations) in the transmit counters
nsx $SCAN sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n $RTR route add 198.19.32.0/20 via 198.18.$NET.66

fails=0
# no opt-out files of this machine or user in the way: the test's own
ENVP=(XDG_CONFIG_HOME=$WORK/none BPH_SYSCONF_DIR=$WORK/none)
export XDG_CONFIG_HOME=$WORK/none BPH_SYSCONF_DIR=$WORK/none
tx() { # packets the scanner namespace has sent, every interface
	nsx $SCAN sh -c 'cat /sys/class/net/*/statistics/tx_packets' |
		awk '{ n += $1 } END { print n }'
}
# expect STATUS PATTERN ARGS...: bphound ARGS in the scanner namespace
# exits STATUS, its output matches PATTERN, and no packet left.
expect() {
	local want=$1 pattern=$2 before got
	shift 2
	before=$(tx)
	set +e
	nsx $SCAN env "${ENVP[@]}" "$BPH" "$@" >"$WORK/out" 2>"$WORK/err"
	got=$?
	set -e
	if [ "$got" != "$want" ] || ! grep -qE -- "$pattern" "$WORK/out" "$WORK/err" ||
		[ "$(tx)" != "$before" ]; then
		echo "FAIL: bphound $* -> status $got (want $want), sent $(($(tx) - before)), output:"
		sed 's/^/    /' "$WORK/err" "$WORK/out"
		fails=$((fails + 1))
	else
		echo "ok: bphound $* -> $got: $(grep -hE -- "$pattern" "$WORK/out" "$WORK/err" | head -n1)"
	fi
}
db=$WORK/s.db
runs() { sqlite3 "$db" 'SELECT count(*) FROM synscan_resume WHERE done = 0' 2>/dev/null || echo 0; }

echo "== defect 5: every target's route, not the lowest one's"
# the lowest address routes to lo: the whole set is refused, not sent
# out of lo
expect 2 "route to this machine itself.*the first 0\.0\.0\.0" \
	scan 0.0.0.0/0 -p 80 --allow-reserved --allow-large --db "$db" --quiet
# one's own address inside the range
expect 2 "1 target\(s\) route to this machine itself.*the first 198\.18\.$NET\.2" \
	scan 198.18.$NET.0-198.18.$NET.8 -p 80 --allow-reserved --db "$db"
expect 2 "have no unicast route, the first 10\.0\.0\.0" \
	scan 10.0.0.0/24 198.19.32.0/24 -p 80 --allow-reserved --db "$db"
expect 2 "leave by 2 ways" \
	scan 198.18.$NET.8-198.18.$NET.15 198.19.32.0/24 -p 80 --allow-reserved --db "$db"
echo "== --dry-run: count, ways, time; nothing sent"
expect 0 "^way: $P-s0 via 198\.18\.$NET\.1: 4096 addresses, the first 198\.19\.32\.0$" \
	scan 198.19.32.0/20 -p 22,80 --allow-reserved --rate 1000 --dry-run --db "$db"
grep -qx "targets: 4096 addresses x 2 ports = 8192 probes" "$WORK/out" &&
	grep -q "^time at 1000 pps: 8.2 s a pass" "$WORK/out" &&
	grep -qx "dry run: nothing sent" "$WORK/out" ||
	{ echo "FAIL: dry-run output"; cat "$WORK/out"; fails=$((fails + 1)); }
expect 2 "^way: $P-s0 on-link: 8 addresses, the first 198\.18\.$NET\.8$" \
	scan 198.18.$NET.8-198.18.$NET.15 198.19.32.0/24 -p 80 --allow-reserved --dry-run --db "$db"
expect 0 "dry run: nothing sent" \
	scan 198.18.$NET.8-198.18.$NET.15 198.19.32.0/24 -p 80 --allow-reserved --dry-run \
	--iface $P-s0 --db "$db"
expect 0 "^way: $P-s0 via 198\.18\.$NET\.1: 256 addresses" \
	pivot 198.19.32.7 --allow-reserved --dry-run --db "$db"
grep -q "^seed" "$WORK/out" && { echo "FAIL: a pivot --dry-run reported"; fails=$((fails + 1)); }
echo "== more than 2^24 addresses need --allow-large"
expect 2 "targets: 3702258432 addresses x 1 ports" scan 0.0.0.0/0 -p 80 --db "$db"
grep -q "^time at 10000 pps: 4.3 days a pass" "$WORK/err" && grep -q -- "--allow-large" "$WORK/err" ||
	{ echo "FAIL: no time or hint"; cat "$WORK/err"; fails=$((fails + 1)); }
expect 2 "give --allow-large" pivot 198.19.32.7 --ranges 0.0.0.0/1 -p 80 --db "$db"
# a dry run needs no --allow-large (here nothing beyond 198.18.0.0/15 has
# a route: refused all the same)
expect 2 "targets: 3702258432 addresses" scan 0.0.0.0/0 -p 80 --dry-run --db "$db"
grep -qx "no unicast route (refused): 3702258432 addresses, the first 1.0.0.0" "$WORK/out" ||
	{ echo "FAIL: dry-run of 0/0"; cat "$WORK/out"; fails=$((fails + 1)); }
echo "== defect 7: every output path before the first packet"
expect 2 "cannot write /nonexistent/x.jsonl" \
	scan 198.19.32.0/24 -p 80 --allow-reserved -o /nonexistent/x.jsonl --db "$db"
expect 2 "cannot write $WORK: Is a directory" \
	scan 198.19.32.0/24 -p 80 --allow-reserved -o "$WORK" --db "$db"
expect 2 "cannot write /nonexistent/p.graphml" \
	pivot 198.19.32.7 --allow-reserved --export graphml:/nonexistent/p.graphml --db "$db"
[ "$(runs)" = 0 ] || { echo "FAIL: a refused scan left a run to resume"; fails=$((fails + 1)); }

echo "== defect 6: a run that fails before sending is not the one --resume takes"
set +e
set -m # a background job keeps SIGINT
ip netns exec $SCAN "$BPH" scan 198.19.32.0/20 -p 22,80,443 --allow-reserved \
	--no-probes --retries 0 --wait 200 --rate 2000 --db "$db" 2>"$WORK/int.err" &
pid=$!
set +m
for i in $(seq 300); do # until it has saved a position
	[ -n "$(sqlite3 "$db" 'SELECT pos FROM synscan_resume WHERE done = 0 AND pos > 0' 2>/dev/null)" ] && break
	sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
set -e
first=$(sqlite3 "$db" 'SELECT scan_id FROM synscan_resume WHERE done = 0')
[ $rc = 130 ] && [ -n "$first" ] ||
	{ echo "FAIL: interrupted run: rc $rc, id '$first'"; cat "$WORK/int.err"; exit 1; }
# too many pairs: refused before the store records a run
expect 2 "too many \(address, port\) pairs" \
	scan 0.0.0.0/0 -p 1-65535 --allow-reserved --allow-large --db "$db"
# root without CAP_NET_RAW: refused (exit 2, the capability named) before
# the store records a run or anything is sent
before=$(tx)
set +e
nsx $SCAN setpriv --inh-caps=-net_raw --bounding-set=-net_raw \
	"$BPH" scan 198.19.33.0/24 -p 80 --allow-reserved --no-probes --db "$db" \
	2>"$WORK/raw.err"
rc=$?
set -e
[ $rc = 2 ] && grep -q CAP_NET_RAW "$WORK/raw.err" && [ "$(tx)" = "$before" ] ||
	{ echo "FAIL: scan without CAP_NET_RAW: rc $rc"; cat "$WORK/raw.err"; fails=$((fails + 1)); }
now=$(sqlite3 "$db" 'SELECT scan_id FROM synscan_resume WHERE done = 0')
[ "$now" = "$first" ] ||
	{ echo "FAIL: unfinished runs '$now', want only $first"; fails=$((fails + 1)); }
# --resume applies none of the scan parameters given with it: it says so,
# also of one given at its default value (10000 pps)
set +e
nsx $SCAN "$BPH" scan --resume --rate 10000 --seed 7 --db "$db" >"$WORK/out" 2>"$WORK/err"
rc=$?
set -e
[ $rc = 0 ] && grep -q "ignored: --rate, --seed" "$WORK/err" && grep -q "12288 filtered" "$WORK/err" ||
	{ echo "FAIL: --resume of the interrupted run: rc $rc"; cat "$WORK/err"; fails=$((fails + 1)); }

echo "== defect 8: SIGTERM and SIGINT after the SYN sweep, while the probes run"
# 198.19.32.7:80 accepts and then says nothing: the probes wait for it
# (--timeout 60000) long after the SYN sweep is over; while the file
# $WORK/answer exists, it answers what it received with an HTTP response
ip -n $TGT addr add 198.19.32.7/32 dev lo
nsx $TGT python3 -c '
import os, socket, sys, threading
def hold(c):
    c.settimeout(30)
    try:
        d = c.recv(4096)
    except OSError:
        d = b""
    with open(sys.argv[1], "ab") as f:
        f.write(d + b"\n")
    if d and os.path.exists(sys.argv[2]):
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        c.close()
        return
    threading.Event().wait()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.19.32.7", 80)); s.listen(128)
while True:
    c, _ = s.accept()
    threading.Thread(target=hold, args=(c,), daemon=True).start()' "$WORK/requests" "$WORK/answer" &
PIDS+=($!)
for i in $(seq 50); do nsx $TGT ss -Hltn | grep -q 198.19.32.7:80 && break; sleep 0.1; done
stop_in_probes() { # signal rc-wanted shell-prefix...
	local sig=$1 want=$2 db=$WORK/$1.db pid rc i
	shift 2
	# "$@": how the scan starts, e.g. with SIGINT ignored
	"$@" ip netns exec $SCAN "$BPH" scan 198.19.32.7 -p 80 --allow-reserved \
		--retries 0 --wait 100 --timeout 60000 --no-jarm --db "$db" \
		2>"$WORK/$sig.err" &
	pid=$!
	for i in $(seq 200); do # the probes hold a connection: the sweep is over
		[ -n "$(nsx $TGT ss -Htn state established '( sport = :80 )')" ] && break
		sleep 0.1
	done
	kill -s "$sig" $pid 2>/dev/null || true
	for i in $(seq 150); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	if kill -0 $pid 2>/dev/null; then
		kill -KILL $pid
		echo "FAIL: SIG$sig ${*:+($*) }did not stop the probes"
		fails=$((fails + 1))
		return
	fi
	set +e
	wait $pid
	rc=$?
	set -e
	if [ $rc = "$want" ] && grep -q "progress saved" "$WORK/$sig.err" &&
		grep -q "bphound scan --resume --db $db" "$WORK/$sig.err"; then
		echo "ok: SIG$sig ${*:+($*) }while probing -> $rc, progress saved"
	else
		echo "FAIL: SIG$sig ${*:+($*) }while probing -> $rc (want $want):"
		sed 's/^/    /' "$WORK/$sig.err"
		fails=$((fails + 1))
	fi
}
stop_in_probes TERM 143
# a background job of a script starts with SIGINT ignored; Ctrl-C
# (SIGINT) must still stop the scan
stop_in_probes INT 130 setsid bash -c 'trap "" INT; exec "$0" "$@"'
# the run stopped in its probes resumes: the open port is probed again,
# with the run's own --timeout 60000 (the one given is named as ignored),
# so the port now answers
touch "$WORK/answer"
set +e
nsx $SCAN "$BPH" scan --resume --timeout 1000 --db "$WORK/TERM.db" -o "$WORK/term.jsonl" 2>"$WORK/term2.err"
rc=$?
set -e
rm -f "$WORK/answer"
[ $rc = 0 ] && grep -q '"ip": *"198.19.32.7"' "$WORK/term.jsonl" &&
	grep -q "ignored: --timeout" "$WORK/term2.err" ||
	{ echo "FAIL: --resume after SIGTERM in the probes: rc $rc"; cat "$WORK/term2.err"; fails=$((fails + 1)); }

echo "== opt-out files: the system's and the user's, every scan and pivot"
mkdir -p "$WORK/etc" "$WORK/xdg/bphound"
echo "198.19.32.128/26 # asked 2026-12-01" >"$WORK/etc/exclude.conf"
printf '# opt-outs\n198.19.32.0/29\n' >"$WORK/xdg/bphound/exclude.conf"
ENVP=(XDG_CONFIG_HOME=$WORK/xdg BPH_SYSCONF_DIR=$WORK/etc)
expect 0 "^targets: 184 addresses x 1 ports" \
	scan 198.19.32.0/24 -p 80 --allow-reserved --dry-run --db "$db"
grep -qx "opt-out: $WORK/etc/exclude.conf" "$WORK/out" &&
	grep -qx "opt-out: $WORK/xdg/bphound/exclude.conf" "$WORK/out" ||
	{ echo "FAIL: opt-out files not named"; cat "$WORK/out"; fails=$((fails + 1)); }
expect 0 "^targets: 184 addresses x 1 ports" \
	pivot 198.19.32.200 -p 80 --allow-reserved --dry-run --db "$db"
# a real scan: 198.19.32.7:80 listens, but it opted out
set +e
nsx $SCAN env "${ENVP[@]}" "$BPH" scan 198.19.32.0/28 -p 80 --allow-reserved --retries 0 \
	--wait 100 --db "$WORK/optout.db" -o "$WORK/optout.jsonl" 2>"$WORK/optout.err"
rc=$?
set -e
[ $rc = 0 ] && grep -q "^bphound: 8 targets, 8 probes sent" "$WORK/optout.err" &&
	! grep -q 198.19.32.7 "$WORK/optout.jsonl" ||
	{ echo "FAIL: opted-out address scanned: rc $rc"; cat "$WORK/optout.err"; fails=$((fails + 1)); }
# a sweep run honours them too
cat >"$WORK/optout.yaml" <<EOF
name: optout
db: $WORK/sweep.db
targets: {cidrs: [198.19.32.0/28]}
allow_reserved: true
ports: [80]
probes: []
rate: 20000
cooldown: 200ms
EOF
set +e
nsx $SCAN env "${ENVP[@]}" "$BPH" sweep run --config "$WORK/optout.yaml" --no-notify \
	2>"$WORK/sweep.err"
rc=$?
set -e
hosts=$(sqlite3 "$WORK/sweep.db" 'SELECT count(*) FROM services' 2>&1 || true)
[ $rc = 0 ] && grep -q "^bphound: 8 targets, .* 0 open" "$WORK/sweep.err" && [ "$hosts" = 0 ] &&
	echo "ok: sweep run: 8 targets, the opted-out listener not scanned" ||
	{ echo "FAIL: sweep run with opt-outs: rc $rc, services '$hosts'"; cat "$WORK/sweep.err"; fails=$((fails + 1)); }
echo "198.19.32.300" >"$WORK/xdg/bphound/exclude.conf"
expect 2 "opt-out file: $WORK/xdg/bphound/exclude.conf:1:" \
	scan 198.19.32.0/24 -p 80 --allow-reserved --dry-run --db "$db"
ENVP=(XDG_CONFIG_HOME=$WORK/none BPH_SYSCONF_DIR=$WORK/none)

echo "== --contact in the HTTP User-Agent"
expect 2 "is not a URL" scan 198.19.32.7 -p 80 --allow-reserved --contact "a b@c" --db "$db"
expect 2 "is not a URL" scan 198.19.32.7 -p 80 --allow-reserved \
	--contact $'x@y\r\nX-Injected: 1' --db "$db"
grep -q $'\r' "$WORK/err" && { echo "FAIL: a CR echoed"; fails=$((fails + 1)); }
ua_of() { # contact-option... -> the User-Agent 198.19.32.7:80 received
	: >"$WORK/requests"
	nsx $SCAN "$BPH" scan 198.19.32.7 -p 80 --allow-reserved --retries 0 --wait 100 \
		--timeout 1500 --no-jarm --db "$WORK/ua.db" --quiet "$@" 2>>"$WORK/ua.err" || true
	sed -n 's/^User-Agent: \(.*\)\r$/\1/p' "$WORK/requests" | sort -u
}
version=$("$BPH" --version | cut -d' ' -f2)
for want in "bphound/$version (+https://scan.example/about)|--contact https://scan.example/about" \
	"bphound/$version|"; do
	# shellcheck disable=SC2086
	got=$(ua_of ${want#*|})
	[ "$got" = "${want%%|*}" ] && echo "ok: User-Agent '$got'" ||
		{ echo "FAIL: User-Agent '$got', want '${want%%|*}'"; cat "$WORK/ua.err"; fails=$((fails + 1)); }
done
rm "$WORK/xdg/bphound/exclude.conf"
echo "abuse@scan.example" >"$WORK/xdg/bphound/contact"
got=$(XDG_CONFIG_HOME=$WORK/xdg ua_of)
[ "$got" = "bphound/$version (+abuse@scan.example)" ] && echo "ok: the contact file's: '$got'" ||
	{ echo "FAIL: User-Agent '$got' with a contact file"; fails=$((fails + 1)); }

[ $fails = 0 ] || { echo "FAIL: $fails check(s)"; exit 1; }
echo PASS
