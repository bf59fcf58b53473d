#!/bin/bash
# Interrupt and resume a SYN scan in private network namespaces (as root).
#
#   bphrsPID-scan (198.18.210.2) -- bphrsPID-rtr (.1 | .65) -- bphrsPID-tgt (.66)
#
# The target namespace answers for a few addresses of 198.19.32.0/20 with
# listeners; the rest of the /20 is routed to it and dies there (no
# forwarding). A scan of the /20 on three ports at a low rate is stopped
# with SIGINT (then SIGTERM, then SIGKILL) midway, resumed with
# `bphound scan --resume`, and the open ports of the resumed run must equal
# those of an uninterrupted run and the ground truth. The resumed runs are
# given no probe options: they keep the interrupted run's (--no-probes:
# the listeners, which log every connection they accept, see none; a
# pivot's --probe-retries 0: no connection tried again). Every address
# lives in 198.18.0.0/15 inside these namespaces; the trap deletes them on
# any exit.
#
# usage: resume_netns.sh [BUILD_DIR]
# env: RESUME_RATE (2000), RESUME_RANGE (a superset of 198.19.32.0/20 inside
# 198.18.0.0/15), RESUME_PORTS (22,80,443 plus any); e.g. RESUME_RATE=300000
# RESUME_RANGE=198.19.0.0/16 RESUME_PORTS=22,80,443,8080 runs two senders.
set -euo pipefail

BUILD=${1:-$(dirname "$0")/../../build}
BPH=$BUILD/bphound
P=bphrs$$ NET=210
. "$(dirname "$0")/lib/netns3.sh"
RATE=${RESUME_RATE:-2000}
RANGE=${RESUME_RANGE:-198.19.32.0/20} PORTS=${RESUME_PORTS:-22,80,443}
WORK=$(mktemp -d /tmp/bphrs.XXXXXX)
trap netns3_cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
[ -x "$BPH" ] || { echo "build $BPH first" >&2; exit 1; }
netns3_up
ip -n $RTR route add $RANGE via 198.18.210.66

# ground truth: open (address, port) pairs spread over the /20
OPEN="198.19.32.7:22 198.19.33.10:80 198.19.35.200:443 198.19.37.1:22
198.19.37.1:80 198.19.40.99:443 198.19.43.5:80 198.19.44.44:22
198.19.46.17:443 198.19.47.250:80"
for a in $(tr ' ' '\n' <<<"$OPEN" | cut -d: -f1 | sort -u); do
	ip -n $TGT addr add "$a/32" dev lo
done
# each listener closes what it accepts at once and logs it ("ip:port",
# one line each) in $ACCEPTS: only probes connect (a SYN scan never
# completes a handshake)
ACCEPTS=$WORK/accepts
: >"$ACCEPTS"
nsx $TGT /usr/bin/python3 -c '
import socket, select, sys
log = open(sys.argv[1], "a")
socks = []
for item in sys.argv[2:]:
    a, p = item.split(":")
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, int(p))); s.listen(128); socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        c, _ = s.accept(); c.close()
        log.write("%s:%d\n" % s.getsockname()); log.flush()' "$ACCEPTS" $OPEN &
PIDS+=($!)
want=$(tr ' ' '\n' <<<"$OPEN" | grep . | sort)
for i in $(seq 50); do
	[ "$(nsx $TGT ss -Hltn | wc -l)" -ge 10 ] && break
	sleep 0.1
done

opens() { # jsonl... -> sorted unique "ip:port" of open records
	python3 -c '
import json, os, sys
for f in sys.argv[1:]:
    for l in open(f) if os.path.exists(f) else []:
        r = json.loads(l)
        if r.get("state") == "open":
            print("%s:%d" % (r["ip"], r["port"]))' "$@" | sort -u
}
sent_of() { sed -n 's/.* \([0-9]*\) probes sent.*/\1/p' "$1"; }
# The number of connections the listeners accepted so far, once their
# accept queues are empty (a connection the kernel completed is logged)
accepted() {
	local i
	for i in $(seq 100); do
		[ -z "$(nsx $TGT ss -Hltn | awk '$2 != 0')" ] && break
		sleep 0.05
	done
	wc -l <"$ACCEPTS"
}
# Waits until the run in db has saved a position (a checkpoint, about once
# a second), not for a fixed time: on a loaded machine a sleep could
# outlast the whole scan.
wait_checkpoint() { # db pid
	local i
	for i in $(seq 300); do
		[ -n "$(sqlite3 "$1" 'SELECT pos FROM synscan_resume WHERE done = 0 AND pos > 0' 2>/dev/null)" ] && return 0
		kill -0 "$2" 2>/dev/null || return 0
		sleep 0.1
	done
}
COMMON=(--allow-reserved --no-probes --retries 0 --wait 500 --rate "$RATE")
PAIRS=$(((1 << (32 - ${RANGE#*/})) * $(tr ',' '\n' <<<"$PORTS" | wc -l)))

echo "== uninterrupted scan of $RANGE x $PORTS at $RATE pps"
nsx $SCAN "$BPH" scan $RANGE -p $PORTS "${COMMON[@]}" --db "$WORK/full.db" \
	-o "$WORK/full.jsonl" 2>"$WORK/full.err"
full=$(opens "$WORK/full.jsonl")
[ "$full" = "$want" ] || { echo "FAIL: full scan: $full" >&2; exit 1; }
[ "$(accepted)" = 0 ] || { echo "FAIL: --no-probes scan connected" >&2; exit 1; }
echo "full scan: $(wc -l <<<"$full") open, $(sent_of "$WORK/full.err") sent"

interrupt_and_resume() { # signal
	local sig=$1 db=$WORK/$1.db rc
	echo "== $sig midway, then --resume"
	set +e
	set -m # background jobs keep SIGINT (no job control: it is ignored)
	ip netns exec $SCAN "$BPH" scan $RANGE -p $PORTS "${COMMON[@]}" \
		--db "$db" -o "$WORK/$sig-1.jsonl" 2>"$WORK/$sig-1.err" &
	local pid=$!
	set +m
	wait_checkpoint "$db" $pid
	kill -s "$sig" $pid
	wait $pid
	rc=$?
	set -e
	if [ "$sig" = KILL ]; then # no goodbye: the last checkpoint counts
		[ $rc = 137 ] || { echo "FAIL: rc $rc after KILL" >&2; exit 1; }
	else
		# 128 + the signal, as a shell reports it (issue 9 defect 8)
		local want=130
		[ "$sig" = TERM ] && want=143
		[ $rc = $want ] || { echo "FAIL: rc $rc after $sig (want $want)" >&2; cat "$WORK/$sig-1.err"; exit 1; }
		grep -q -- "bphound scan --resume --db $db" "$WORK/$sig-1.err" ||
			{ echo "FAIL: no resume hint" >&2; cat "$WORK/$sig-1.err"; exit 1; }
	fi
	local pos
	pos=$(sqlite3 "$db" 'SELECT pass || "/" || pos FROM synscan_resume WHERE done = 0')
	echo "saved position (pass/steps): $pos"
	[ -n "$pos" ] && [ "${pos#0/}" != 0 ] || { echo "FAIL: no checkpoint" >&2; exit 1; }
	# no probe option: the run's --no-probes applies (else each listener
	# here, which closes at once, would cost its retries); one given is
	# named as ignored
	local given=()
	[ "$sig" = TERM ] && given=(--probe-retries 2)
	nsx $SCAN "$BPH" scan --resume "${given[@]}" --db "$db" \
		-o "$WORK/$sig-2.jsonl" 2>"$WORK/$sig-2.err"
	[ "$(accepted)" = 0 ] ||
		{ echo "FAIL: the resumed scan probed (not --no-probes)" >&2; cat "$ACCEPTS" >&2; exit 1; }
	[ "$sig" != TERM ] || grep -q "ignored: --probe-retries" "$WORK/$sig-2.err" ||
		{ echo "FAIL: --probe-retries with --resume not named as ignored" >&2; cat "$WORK/$sig-2.err" >&2; exit 1; }
	local got s2
	got=$(opens "$WORK/$sig-1.jsonl" "$WORK/$sig-2.jsonl")
	[ "$got" = "$full" ] || { echo "FAIL: resumed opens: $got" >&2; exit 1; }
	s2=$(sent_of "$WORK/$sig-2.err")
	# stopped after its first checkpoint: the resumed run sends the rest plus a margin of
	# rate x cooldown (--wait), so fewer than the whole scan
	# (after KILL the last checkpoint may lie within the margin: all again)
	local most=$((PAIRS - 1))
	[ "$sig" = KILL ] && most=$PAIRS
	[ -n "$s2" ] && [ "$s2" -gt 0 ] && [ "$s2" -le $most ] ||
		{ echo "FAIL: resumed run sent '$s2' of $PAIRS" >&2; exit 1; }
	echo "resumed: $(wc -l <<<"$got") open (same as uninterrupted), $s2 of $PAIRS probes re-sent or new"
	set +e
	nsx $SCAN "$BPH" scan --resume --db "$db" --quiet 2>"$WORK/$sig-3.err"
	rc=$?
	set -e
	[ $rc = 2 ] || { echo "FAIL: second --resume rc $rc" >&2; exit 1; }
}
interrupt_and_resume INT
interrupt_and_resume TERM
interrupt_and_resume KILL

echo "== pivot with probes (--probe-retries 0) interrupted by INT, then pivot --resume"
db=$WORK/pivot.db seed=198.19.37.1
set +e
set -m
ip netns exec $SCAN "$BPH" pivot $seed --ranges "$RANGE" -p $PORTS \
	--allow-reserved --retries 0 --wait 500 --rate "$RATE" --probe-retries 0 \
	--db "$db" -o "$WORK/pivot-1.jsonl" 2>"$WORK/pivot-1.err" \
	>"$WORK/pivot-1.out" &
pid=$!
set +m
wait_checkpoint "$db" $pid
kill -s INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || { echo "FAIL: pivot rc $rc after INT" >&2; cat "$WORK/pivot-1.err"; exit 1; }
grep -q -- "bphound pivot --resume --db $db" "$WORK/pivot-1.err" ||
	{ echo "FAIL: no pivot resume hint" >&2; cat "$WORK/pivot-1.err"; exit 1; }
# a scan --resume must not take over a pivot (it would lose the report)
nsx $SCAN "$BPH" scan --resume --db "$db" --quiet 2>"$WORK/pivot-x.err"
rc=$?
[ $rc = 2 ] && grep -q "is a pivot; resume it with: bphound pivot --resume" \
	"$WORK/pivot-x.err" || { echo "FAIL: scan --resume of a pivot: rc $rc" >&2; cat "$WORK/pivot-x.err"; exit 1; }
nsx $SCAN "$BPH" pivot --resume $seed --db "$db" 2>"$WORK/pivot-y.err"
rc=$?
[ $rc = 2 ] || { echo "FAIL: pivot --resume with a seed: rc $rc" >&2; exit 1; }
before=$(accepted)
nsx $SCAN "$BPH" pivot --resume --db "$db" \
	-o "$WORK/pivot-2.jsonl" >"$WORK/pivot-2.out" 2>"$WORK/pivot-2.err"
rc=$?
set -e
[ $rc = 0 ] || { echo "FAIL: pivot --resume rc $rc" >&2; cat "$WORK/pivot-2.err"; exit 1; }
# the resumed pivot probed every open port (the run had probes), and
# with the run's --probe-retries 0: no port saw a connection tried again
# (the default 8 makes each of its connections 9 here)
accepted >/dev/null
tail -n +$((before + 1)) "$ACCEPTS" | sort | uniq -c >"$WORK/pivot-accepts"
[ "$(awk '{print $2}' "$WORK/pivot-accepts")" = "$full" ] &&
	awk '$1 >= 9 { bad = 1 } END { exit bad }' "$WORK/pivot-accepts" ||
	{ echo "FAIL: resumed pivot's connections per port (want every open port, fewer than 9 each):" >&2; cat "$WORK/pivot-accepts" >&2; exit 1; }
got=$(opens "$WORK/pivot-1.jsonl" "$WORK/pivot-2.jsonl")
[ "$got" = "$full" ] || { echo "FAIL: resumed pivot opens: $got" >&2; exit 1; }
grep -q "^seed $seed: cluster" "$WORK/pivot-2.out" ||
	{ echo "FAIL: no report on the seed after pivot --resume" >&2; cat "$WORK/pivot-2.out"; exit 1; }
echo "pivot resumed: $(wc -l <<<"$got") open (same as uninterrupted), report on $seed"
echo PASS
