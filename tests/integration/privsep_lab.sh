#!/usr/bin/env bash
# Privilege separation observed during a real scan (issue 9, part 1;
# docs/architecture.md "Privileges"). On the lab's two servers of six
# addresses each (tests/lab/lab.sh, LAB_LIMITED=only):
#
#   1. `bphound scan` as root; while it runs, `ss -tnp` in the scanner
#      namespace names the process holding TCP connections to lab hosts,
#      and its /proc/PID/status must show Uid and Gid not 0 (nobody's, as
#      no --user and no SUDO_USER are given), no supplementary group 0,
#      CapEff 0, CapPrm 0, NoNewPrivs 1 and Seccomp 2; it must not be the
#      scanner's own pid (the one holding the raw socket). The scan exits
#      0 and every SSH service has its three host keys (records crossed
#      the worker pipe).
#      In the same scan, the process holding the capture (the packet
#      socket that receives, found through /proc/net/packet and the
#      socket inodes of /proc/PID/fd) must be another process than the
#      scanner, with the same Uid, Gid not 0, CapEff and CapPrm 0,
#      NoNewPrivs 1 and Seccomp 2 (scanner/recv.c decodes the SYN-ACKs
#      there), while the scanner's own packet sockets only send. Both
#      children's stdin and stdout are /dev/null (the scan's are files),
#      their stderr the scan's.
#   2. the same with --user daemon: the worker and the capture run as
#      daemon's uid.
#   3. --user root and --user with an unknown name: exit 2, nothing sent.
#   4. scan, pivot and sweep run as nobody (no CAP_NET_RAW): exit 2 with a
#      message naming CAP_NET_RAW, and no store (or lock) file is made;
#      cluster, show, export and diff of stores nobody can read, and an
#      import into a folder nobody owns, run as nobody.
#   5. a probe worker that dies at start (its drop fails: CAP_SETPCAP is
#      taken from the bounding set, so it cannot empty its own): exit 1
#      with a message that says how the worker ended, not a route error.
#   6. the capture child killed during a scan: exit 1, and the message says
#      it was killed by signal 9 (replies may be missing).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib/labtest.sh"
labtest_init privsep bphps
chmod 755 "$work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

LAB_LIMITED=only bash "$top/tests/lab/lab.sh" --prefix "$prefix" up "$work/lab"
truth=$work/lab/truth.json
py() { /usr/bin/python3 "$@"; }
ranges=$(py -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["ranges"]))' "$truth")
n_ssh=$(py -c 'import json,sys; print(sum(1 for h in json.load(open(sys.argv[1]))["hosts"] if 22 in h["open_ports"]))' "$truth")

# Scans the lab with extra options "$@" in the background and, while it
# runs, reads the status of the process that holds a TCP connection to a
# lab host (198.18.x.y); writes $work/status.$tag, $work/pids.$tag.
observe_scan() {
	local tag=$1 spid pid=""
	shift
	unset SUDO_USER
	# --wait 2500: the capture child lives until the cooldown ends, long
	# enough for the loop below to see it on a loaded machine
	# shellcheck disable=SC2086 # ranges is a word list
	ip netns exec "$prefix-scan" "$bin" scan $ranges -p 22,443 \
		--allow-reserved --wait 2500 -q --db "$work/$tag.db" \
		-o "$work/$tag.jsonl" "$@" <"$truth" >"$work/$tag.out" \
		2>"$work/$tag.err" &
	spid=$!
	cpid=""
	for _ in $(seq 1 600); do
		[ -n "$cpid" ] || cpid=$(capture_holder "$spid" "$work/cstatus.$tag")
		if [ -z "$pid" ]; then
			pid=$(ip netns exec "$prefix-scan" ss -tnpH state established \
				'( dst 198.18.0.0/15 )' 2>/dev/null |
				grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true)
			[ -n "$pid" ] && { stdio_of "$pid" "$work/status.$tag" && cp "/proc/$pid/status" "$work/status.$tag" 2>/dev/null || pid=""; }
			[ -n "$pid" ] && cp "/proc/$spid/status" "$work/sstatus.$tag" 2>/dev/null
		fi
		[ -n "$pid" ] && [ -n "$cpid" ] && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	echo "scanner $spid worker ${pid:-none} capture ${cpid:-none}" >"$work/pids.$tag"
	wait "$spid" || { echo "scan $tag exited $?"; cat "$work/$tag.err"; return 1; }
	[ -n "$pid" ] || { echo "no connection to a lab host seen"; return 1; }
	[ "$pid" != "$spid" ] || { echo "the scanner itself ($spid) held the connections"; return 1; }
	[ -n "$cpid" ] || { echo "no process holding the capture seen"; return 1; }
	[ "$cpid" != "$spid" ] || { echo "the scanner itself ($spid) held the capture"; return 1; }
	cat "$work/pids.$tag"
}

# The pid (among the scanner $1 and its children) holding a packet socket
# that receives (protocol not 0 in /proc/net/packet: the scanner's send
# sockets have 0); copies its status to $2. Prints nothing if none yet.
capture_holder() {
	local ino p
	# the scanner's own view of its namespace's packet sockets (no exec
	# of ip netns: the loop must be quick on a loaded machine)
	for ino in $(awk 'NR > 1 && $4 != "0000" { print $9 }' "/proc/$1/net/packet" 2>/dev/null); do
		for p in "$1" $(pgrep -P "$1" || true); do
			if [ -n "$(find "/proc/$p/fd" -lname "socket:\[$ino\]" -print -quit 2>/dev/null)" ] &&
				stdio_of "$p" "$2" && cp "/proc/$p/status" "$2" 2>/dev/null; then
				echo "$p"
				return
			fi
		done
	done
}

# What the descriptors 0, 1 and 2 of pid $1 name, one a line, into $2.stdio
stdio_of() { readlink "/proc/$1/fd/0" "/proc/$1/fd/1" "/proc/$1/fd/2" >"$2.stdio" 2>/dev/null; }

field() { awk -v k="$1:" '$1 == k { print $2 }' "$2"; }

# The confinement of the process whose status is $2, named $1.
check_proc() {
	local tag=$1 st=$2 want_uid=$3
	echo "$tag: $(grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|NoNewPrivs|Seccomp):' "$st" | tr -s '\t' ' ' | paste -sd';')"
	[ "$(field Uid "$st")" = "$want_uid" ] || fail "$tag: Uid $(field Uid "$st"), want $want_uid"
	[ "$(field Gid "$st")" != 0 ] || fail "$tag: Gid 0"
	# the scan runs as root, whose supplementary groups include 0
	awk '$1 == "Groups:" { for (i = 2; i <= NF; i++) if ($i == 0) bad = 1 } END { exit bad }' "$st" ||
		fail "$tag: supplementary group 0 kept: $(grep '^Groups:' "$st")"
	[ "$(field CapEff "$st")" = 0000000000000000 ] || fail "$tag: CapEff $(field CapEff "$st")"
	[ "$(field CapPrm "$st")" = 0000000000000000 ] || fail "$tag: CapPrm $(field CapPrm "$st")"
	[ "$(field NoNewPrivs "$st")" = 1 ] || fail "$tag: NoNewPrivs $(field NoNewPrivs "$st")"
	[ "$(field Seccomp "$st")" = 2 ] || fail "$tag: Seccomp $(field Seccomp "$st")"
	[ "$(paste -sd' ' "$st.stdio")" = "/dev/null /dev/null $4" ] ||
		fail "$tag: stdin, stdout, stderr: $(paste -sd' ' "$st.stdio"), want /dev/null /dev/null $4"
}

check_status() {
	local tag=$1 want_uid=$2 st=$work/sstatus.$1
	# the scanner itself stays root with CAP_NET_RAW, but cannot exec
	echo "$tag (scanner): $(grep -E '^(Uid|NoNewPrivs|Seccomp):' "$st" | tr -s '\t' ' ' | paste -sd';')"
	[ "$(field Seccomp "$st")" = 2 ] || fail "$tag (scanner): Seccomp $(field Seccomp "$st"), want 2"
	[ "$(field NoNewPrivs "$st")" = 1 ] || fail "$tag (scanner): NoNewPrivs $(field NoNewPrivs "$st"), want 1"
	check_proc "$tag (probe worker)" "$work/status.$tag" "$want_uid" "$work/$tag.err"
	check_proc "$tag (capture)" "$work/cstatus.$tag" "$want_uid" "$work/$tag.err"
	py - "$work/$tag.jsonl" "$n_ssh" <<'EOF' || fail "$tag: records incomplete"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ssh = [r for r in recs if r["port"] == 22]
full = [r for r in ssh if len((r.get("ssh") or {}).get("hostkeys", [])) == 3]
tls = [r for r in recs if r["port"] == 443 and (r.get("tls") or {}).get("jarm")]
print(f"records: {len(full)} of {len(ssh)} SSH services with 3 host keys "
      f"(lab: {sys.argv[2]}), {len(tls)} TLS services with JARM")
sys.exit(0 if len(full) == len(ssh) == int(sys.argv[2]) and tls else 1)
EOF
}

# 1. default identity: nobody
if observe_scan default; then
	check_status default "$(id -u nobody)"
else
	fail "scan as root (default identity)"
fi
# 2. --user daemon
if observe_scan user --user daemon; then
	check_status user "$(id -u daemon)"
else
	fail "scan --user daemon"
fi

# 3. identities that are refused before anything is sent
for u in root no-such-user-bph; do
	rc=0
	ip netns exec "$prefix-scan" "$bin" scan 198.18.40.10 -p 22 \
		--allow-reserved -q --db "$work/refused.db" --user "$u" \
		2>"$work/refused.err" || rc=$?
	if [ "$rc" = 2 ] && grep -q -- "--user" "$work/refused.err"; then
		ok "--user $u: exit 2: $(head -n1 "$work/refused.err")"
	else
		fail "--user $u: exit $rc: $(cat "$work/refused.err")"
	fi
done

# 4. without CAP_NET_RAW; commands that send nothing as nobody
chmod 644 "$work/default.db"
mkdir "$work/nobody" && chown nobody "$work/nobody"
for cmd in "scan 198.18.40.10 -p 22" "pivot 198.18.40.10 -p 22"; do
	rc=0
	# shellcheck disable=SC2086 # cmd is a word list
	ip netns exec "$prefix-scan" runuser -u nobody -- "$bin" $cmd \
		--allow-reserved -q --db "$work/nobody/s.db" 2>"$work/nocap.err" || rc=$?
	if [ "$rc" = 2 ] && grep -q CAP_NET_RAW "$work/nocap.err"; then
		ok "${cmd%% *} as nobody: exit 2: $(head -n1 "$work/nocap.err")"
	else
		fail "${cmd%% *} as nobody: exit $rc: $(cat "$work/nocap.err")"
	fi
	# refused before the store is opened: no empty store left behind
	if [ -e "$work/nobody/s.db" ]; then
		fail "${cmd%% *} as nobody left a store file: $(ls "$work/nobody")"
		rm -f "$work/nobody/s.db"*
	fi
done
# a sweep likewise, and its lock file is not left either
printf 'version: 1\nname: nocap\ntargets:\n  cidrs: [198.18.40.10]\nallow_reserved: true\nports: [22]\n' \
	>"$work/nocap.yaml"
rc=0
ip netns exec "$prefix-scan" runuser -u nobody -- "$bin" sweep run \
	--config "$work/nocap.yaml" --db "$work/nobody/s.db" 2>"$work/nocap.err" || rc=$?
if [ "$rc" = 2 ] && grep -q CAP_NET_RAW "$work/nocap.err" &&
	[ -z "$(ls -A "$work/nobody")" ]; then
	ok "sweep run as nobody: exit 2, nothing written: $(head -n1 "$work/nocap.err")"
else
	fail "sweep run as nobody: exit $rc, left [$(ls -A "$work/nobody")]: $(cat "$work/nocap.err")"
fi
ip1=$(py -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["ip"])' "$work/default.jsonl")
# two sweep runs (as root, SYN only) for diff to compare
printf 'name: ro\ndb: %s\ntargets: {cidrs: [%s]}\nallow_reserved: true\nports: [22]\nprobes: []\ncooldown: 300ms\n' \
	"$work/sweep.db" "$(echo $ranges | tr ' ' ',')" >"$work/ro.yaml"
for r in 1 2; do
	ip netns exec "$prefix-scan" "$bin" sweep run --config "$work/ro.yaml" --no-notify -q \
		2>"$work/sweep$r.err" || fail "sweep run $r: $(cat "$work/sweep$r.err")"
done
chmod 644 "$work"/default.db* "$work"/sweep.db*
for cmd in "cluster --db $work/default.db" "show $ip1 --db $work/default.db" \
	"export --format json -o - --db $work/default.db" "diff --sweep ro --db $work/sweep.db" \
	"import $work/default.jsonl --db $work/nobody/imported.db"; do
	# shellcheck disable=SC2086 # cmd is a word list
	if runuser -u nobody -- "$bin" $cmd >"$work/ro.out" 2>"$work/ro.err" &&
		{ [ -s "$work/ro.out" ] || [ "${cmd%% *}" = import ]; }; then
		ok "${cmd%% *} as nobody"
	else
		fail "${cmd%% *} as nobody: $(cat "$work/ro.err")"
	fi
done
[ "$(sqlite3 "$work/nobody/imported.db" 'SELECT count(*) FROM services' 2>&1)" = "$(wc -l <"$work/default.jsonl")" ] ||
	fail "import as nobody: $(sqlite3 "$work/nobody/imported.db" 'SELECT count(*) FROM services' 2>&1) of $(wc -l <"$work/default.jsonl") records stored"

# 5. the probe worker's drop fails at start: it cannot empty the bounding
# set without CAP_SETPCAP (the capture child's drop would fail the same
# way, but the worker starts first)
rc=0
ip netns exec "$prefix-scan" setpriv --bounding-set -setpcap -- "$bin" \
	scan 198.18.40.10 -p 22 --allow-reserved -q --wait 200 \
	--db "$work/dead.db" 2>"$work/dead.err" || rc=$?
if [ "$rc" = 1 ] && grep -q "probe worker exited with status 1 before it was ready" "$work/dead.err" &&
	! grep -qi "route" "$work/dead.err"; then
	ok "worker dead at start: exit 1: $(tail -n1 "$work/dead.err")"
else
	fail "worker dead at start: exit $rc: $(cat "$work/dead.err")"
fi

# 6. the capture child killed during the SYN scan: the scan fails (replies
# may be missing) and says how the child ended
ip netns exec "$prefix-scan" "$bin" scan 198.18.40.10 -p 22 --allow-reserved \
	-q --no-probes --wait 4000 --db "$work/killed.db" 2>"$work/killed.err" &
spid=$!
cpid=""
for _ in $(seq 1 200); do
	cpid=$(capture_holder "$spid" "$work/cstatus.killed")
	[ -n "$cpid" ] && break
	sleep 0.02
done
[ -n "$cpid" ] && [ "$cpid" != "$spid" ] && kill -KILL "$cpid"
rc=0
wait "$spid" || rc=$?
if [ -n "$cpid" ] && [ "$rc" = 1 ] && grep -q "capture process killed by signal 9" "$work/killed.err"; then
	ok "capture child killed: exit 1: $(tail -n1 "$work/killed.err")"
else
	fail "capture child (${cpid:-not seen}) killed: exit $rc: $(cat "$work/killed.err")"
fi

[ "$fails" -eq 0 ] || { echo "privsep_lab: $fails failures"; exit 1; }
echo "privsep_lab: all checks passed"
