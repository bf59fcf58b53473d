#!/usr/bin/env bash
# Issue 11's lab test: scheduled sweeps end to end on the lab (LAB_SWEEP=1,
# prefix bphsw$$), with a tracked provider cluster, a watch on the
# provider's SSH host key and three channels pointed at local receivers
# inside the scanner namespace (an HTTP receiver on 127.0.0.1 that checks
# the signature, a syslog socket in the work directory, a sendmail stub):
#   1. run 1; the lab changes (M1-M10, tests/integration/sweep_lab.expected);
#      run 2: `diff --format jsonl` equals the expected events exactly,
#      equals what the store holds, what the same diff computes again from
#      run 2's stored index (another config key) and what the webhook received (whose
#      first two attempts get 500: the same delivery id three times); the
#      syslog socket gets one RFC 5424 line per event; the sendmail stub
#      one message (min_severity high) with clean headers;
#      the provider's cluster exported as a Zeek intel file holds its
#      addresses, and the certificate SHA-1 and host-key MD5s that openssl
#      and ssh-keygen compute;
#   1b. after run 2, the HTML page of provider A's cluster in headless
#      Chromium: its "over time" chart has one bar per complete run with
#      the cluster's size (4, then 5 after M1) as SQL over the store counts
#      them, and lists the last diff's host.new, member_added and watch.hit;
#   2. run 3, nothing changed: no event, no notification; `diff --from 1
#      --to 2` gives the same ids again;
#   3. a port added to the config (8080, already served): no event;
#   4. a second sweep with absent_after 2: host.gone a run late, host.back
#      after; a delivery refused (500) in one run is delivered first in the
#      next, with the same id;
#   5. two concurrent runs: the second exits 75 and adds no run; a run
#      killed with SIGKILL is found interrupted by the next, which compares
#      with the last complete run;
#   6. bad configs, watch files and intel files: file:line:column, exit 2,
#      no run row and no packet.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BPH_BUILD:-$top/build}/bphound
work=$(mktemp -d /tmp/bph-sweep.XXXXXX)
prefix=bphsw$$
lab=$top/tests/lab/lab.sh
check=$top/tests/integration/sweep_check.py
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	bash "$lab" --prefix "$prefix" down "$work/lab" >/dev/null 2>&1 || true
	[[ -n "${KEEP:-}" ]] && { echo "kept $work"; return; }
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
trap '[[ $- != *e* ]] || echo "sweep_lab: FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
say() { echo "== ${SECONDS}s: $*"; }
die() { echo "sweep_lab: FAIL: $*" >&2; exit 1; }
nsx() { ip netns exec "$prefix-scan" "$@"; }
py() { /usr/bin/python3 "$@"; }
q() { sqlite3 -cmd ".timeout 10000" "$work/lab.db" "$@"; }
mutate() { bash "$lab" --prefix "$prefix" mutate "$work/lab" "$@"; }

LAB_SWEEP=1 LAB_QUIET=1 bash "$lab" --prefix "$prefix" up "$work/lab"
export XDG_CONFIG_HOME=$work/xdg NO_PROXY='*' no_proxy='*'
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
conf=$XDG_CONFIG_HOME/bphound/sweeps
mkdir -p "$conf" "$work/mail"

# ---- receivers (inside the scanner namespace: its 127.0.0.1) ----
echo "lab-webhook-secret-$$" >"$work/secret"
: >"$work/statuses"
nsx /usr/bin/python3 "$top/tests/integration/sweep_receiver.py" http "$work/secret" \
	"$work/port" "$work/hook.log" "$work/statuses" & PIDS+=($!)
nsx /usr/bin/python3 "$top/tests/integration/sweep_receiver.py" syslog \
	"$work/syslog.sock" "$work/syslog.log" & PIDS+=($!)
cat >"$work/sendmail" <<EOF
#!/bin/sh
n=\$(ls "$work/mail" | grep -c 'eml\$')
printf '%s\n' "\$@" >"$work/mail/\$n.args"
cat >"$work/mail/\$n.eml"
EOF
chmod 755 "$work/sendmail"
for i in $(seq 1 50); do [[ -s "$work/port" && -S "$work/syslog.sock" ]] && break; sleep 0.1; done
[[ -s "$work/port" ]] || die "the HTTP receiver did not start"

# ---- the watch and the config ----
key=$(ssh-keygen -lf "$work/lab/pki/A/ssh_host_ed25519_key.pub" | awk '{print $2}')
cat >"$conf/watch.yaml" <<EOF
version: 1
source: lab-case
entries:
  - {kind: ssh_hostkey, value: "$key", severity: high, desc: "provider A"}
EOF
write_conf() { # name ports absent_after extra
	cat >"$conf/$1.yaml" <<EOF
name: $1
db: $work/$1.db
targets: {cidrs: [$5]}
allow_reserved: true
ports: [$2]
rate: 20000
cooldown: 1s
diff: {absent_after: $3}
watch:
  files: [watch.yaml]
  clusters:
    - name: provider-a
      anchor: {hosts: [198.18.10.10]}
notify:
  - {id: hook, type: webhook, url: "http://127.0.0.1:$(cat "$work/port")/hook",
     secret: {file: $work/secret}, retries: $4, retry_delay: 100ms}
$6
EOF
}
channels="  - {id: log, type: syslog, target: \"unix:$work/syslog.sock\"}
  - {id: mail, type: email, sendmail: $work/sendmail,
     from: bphound@lab.invalid, to: [soc@lab.invalid], min_severity: high}"
nets="198.18.10.0/24, 198.18.20.0/24, 198.18.30.0/24"
write_conf lab "22, 80, 443, 8443" 1 2 "$nets" "$channels"
sweep() { nsx "$bin" sweep run "$@"; }
diffj() { nsx "$bin" diff --sweep lab --format jsonl "$@"; }

# ---- 1. run 1, the changes, run 2 ----
say "run 1"
sweep lab -q
[[ $(q "select status from sweep_runs") == complete ]] || die "run 1 not complete"
[[ $(wc -l <"$work/hook.log") == 1 ]] || die "run 1: one webhook POST"
[[ $(ls "$work/mail"/*.eml | wc -l) == 1 ]] || die "run 1: one mail (4 watch hits)"
grep -q 'watch.hit' "$work/mail/0.eml" || die "run 1 mail lacks the watch hits"
: >"$work/hook.log"
: >"$work/syslog.log"

say "changes M1-M10"
mutate addhost 50 198.18.10.13 provider A  # M1
mutate deladdr 40                          # M2
mutate listen 41 8443                      # M3
mutate close80 42                          # M4
mutate reissue 43 same                     # M5
mutate reissue 44 new                      # M6
mutate rotate-ssh 45                       # M7
mutate title 46 "Tenant 46 - under new management"  # M8
mutate stop 47                             # M9: the keys leave .77 ...
mutate addhost 48 198.18.30.78 tenant - t47 #     ... and serve on .78
mutate hostile 49 80=strings2              # M10
mutate listen 43 8080                      # served before 8080 is swept

say "run 2 (the receiver answers 500 twice, then 200)"
printf '500\n500\n' >"$work/statuses"
sweep lab -q
diffj >"$work/run2.jsonl"
py "$check" events "$work/run2.jsonl" "$top/tests/integration/sweep_lab.expected"
py "$check" ids "$work/run2.jsonl" >"$work/run2.ids"
# the store holds the same events (and sweep.completed)
q "select id from sweep_events where run_id = 2 and type != 'sweep.completed' order by id" \
	| diff - "$work/run2.ids" || die "stored events differ from the diff"
py "$check" webhook "$work/hook.log" "$work/run2.ids" 500,500,200
[[ $(q "select status || ' ' || attempts from sweep_outbox where run_id = 2 and channel = 'hook'") == "delivered 3" ]] ||
	die "outbox: the webhook delivery is not delivered after 3 attempts"
py "$check" syslog "$work/syslog.log" "$(wc -l <"$work/run2.ids")"
[[ $(ls "$work/mail"/*.eml | wc -l) == 2 ]] || die "run 2: one more mail"
py "$check" mail "$work/mail/1.eml" "sweep lab run 2: 3 events, highest high"
grep -q 'identity.moved' "$work/mail/1.eml" || die "mail lacks identity.moved"
[[ "$(cat "$work/mail/1.args")" == "$(printf -- '-t\n-oi')" ]] || die "sendmail args"
# the same events from run 2's stored index (sweep/runidx.h): another
# config file is another evaluation key, so diff computes run 2's hits
# and clusters again, without its stored evaluation and its records
mkdir -p "$work/key"
sed "s#files: \[watch.yaml\]#files: [$conf/watch.yaml]#" "$conf/lab.yaml" >"$work/key/lab.yaml"
nsx "$bin" diff --config "$work/key/lab.yaml" --format jsonl >"$work/run2-index.jsonl"
cmp "$work/run2-index.jsonl" "$work/run2.jsonl" || die "run 2 from its index: other events"
[[ $(q "select count(*) from sweep_index where run_id = 2 and chunk = 0") == 1 ]] ||
	die "run 2 has no stored index"

# the provider's cluster as a Zeek intel file, against openssl and ssh-keygen
nsx "$bin" export --format zeek-intel 198.18.10.10 --db "$work/lab.db" -o "$work/a.intel"
nsx "$bin" watch check "$work/a.intel" >/dev/null
got=$(awk -F'\t' '$2 == "Intel::ADDR" { print $1 }' "$work/a.intel" | sort | xargs)
[[ "$got" == "198.18.10.10 198.18.10.11 198.18.10.12 198.18.10.13 198.18.20.10" ]] ||
	die "zeek-intel addresses: $got"
want=$(openssl x509 -in "$work/lab/pki/A/tls.crt" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g' | tr A-F a-f)
got=$(awk -F'\t' '$2 == "Intel::CERT_HASH" { print $1 }' "$work/a.intel" | xargs)
[[ "$got" == "$want" ]] || die "zeek-intel CERT_HASH: '$got', openssl: '$want'"
want=$(for k in "$work"/lab/pki/A/ssh_host_*_key.pub; do ssh-keygen -l -E md5 -f "$k" | awk '{print $2}' | sed 's/^MD5://'; done | sort | xargs)
got=$(awk -F'\t' '$2 == "Intel::PUBKEY_HASH" { print $1 }' "$work/a.intel" | sort | xargs)
[[ "$got" == "$want" ]] || die "zeek-intel PUBKEY_HASH: '$got', ssh-keygen: '$want'"

# ---- 1b. the HTML page's "over time": provider A's cluster per run ----
say "the HTML page's over time in headless Chromium"
nsx "$bin" export --format html 198.18.10.10 --db "$work/lab.db" -o "$work/a.html"
nsx "$bin" export --format json 198.18.10.10 --db "$work/lab.db" -o "$work/a.json"
# the oracle: per complete run, how many of the cluster's hosts have an
# open service in the run's scan (SQL over the store, not bphound's code)
members=$(py -c '
import ipaddress, json, sys
j = json.load(open(sys.argv[1]))
c = [c for c in j["clusters"] if j["seed"] in c["hosts"]][0]
print(",".join(str(int(ipaddress.ip_address(h))) for h in c["hosts"]))' "$work/a.json")
runs=$(q "select group_concat(id) from (select id from sweep_runs where sweep = 'lab' and status = 'complete' order by id)")
sizes=$(q "select group_concat(n) from (select (select count(distinct ip) from services s where s.scan_id = r.scan_id and s.state = 'open' and s.ip in ($members)) as n from sweep_runs r where sweep = 'lab' and status = 'complete' order by id)")
[[ $runs == 1,2 && $sizes == 4,5 ]] || die "over time oracle: runs $runs sizes $sizes (want 1,2 and 4,5: M1 adds a host)"
py "$top/tests/integration/check_overtime.py" "$work/a.html" --runs "$runs" \
	--sizes "$sizes" --event-type host.new --event-type cluster.member_added \
	--event-type watch.hit || die "the page's over-time chart"

# ---- 2. run 3: nothing changed ----
say "run 3, unchanged"
: >"$work/hook.log"
sweep lab -q
diffj >"$work/run3.jsonl"
[[ ! -s "$work/run3.jsonl" ]] || { cat "$work/run3.jsonl"; die "run 3 has events"; }
[[ ! -s "$work/hook.log" && $(ls "$work/mail"/*.eml | wc -l) == 2 ]] ||
	die "run 3 notified"
nsx "$bin" diff --sweep lab --from 1 --to 2 --format jsonl >"$work/again.jsonl"
py "$check" ids "$work/again.jsonl" | diff - "$work/run2.ids" || die "re-diff ids differ"
set +e
nsx "$bin" diff --sweep lab --exit-code -q >/dev/null; rc3=$?
nsx "$bin" diff --sweep lab --from 1 --to 2 --exit-code >/dev/null; rc2=$?
set -e
[[ $rc3 == 0 && $rc2 == 3 ]] || die "diff --exit-code: $rc3 and $rc2 (want 0 and 3)"

# ---- 3. a port added to the config ----
say "run 4, port 8080 added (already served on .73)"
write_conf lab "22, 80, 443, 8443, 8080" 1 2 "$nets" "$channels"
sweep lab -q
diffj >"$work/run4.jsonl"
[[ ! -s "$work/run4.jsonl" ]] || { cat "$work/run4.jsonl"; die "new coverage gave events"; }

# ---- 4. absent_after 2, and the outbox across runs ----
say "absent_after 2 (sweep lab2 over 198.18.30.0/24)"
mutate addaddr 40 198.18.30.70
write_conf lab2 "22, 80, 443" 2 0 "198.18.30.0/24" ""
q2() { sqlite3 -cmd ".timeout 10000" "$work/lab2.db" "$@"; }
d2() { nsx "$bin" diff --sweep lab2 --format jsonl | py "$check" canon /dev/stdin; }
sweep lab2 -q                                   # r1: .70 answers
mutate deladdr 40
sweep lab2 -q                                   # r2: one absence
[[ -z "$(d2)" ]] || die "lab2 r2: an event after one absence"
printf '500\n' >"$work/statuses"                # r3's delivery fails
: >"$work/hook.log"
sweep lab2 -q                                   # r3: host.gone
[[ "$(d2)" == "host.gone low 198.18.30.70 - - ports=22,80,443" ]] || die "lab2 r3: $(d2)"
[[ $(q2 "select status from sweep_outbox where run_id = 3") == pending ]] || die "lab2 r3 not pending"
r3id=$(q2 "select delivery from sweep_outbox where run_id = 3")
mutate addaddr 40 198.18.30.70
sweep lab2 -q                                   # r4: host.back
d2 | grep -x "host.back low 198.18.30.70 - - ports=22,80,443" >/dev/null || die "lab2 r4: $(d2)"
[[ $(q2 "select count(*) from sweep_outbox where status != 'delivered'") == 0 ]] || die "lab2 outbox not empty"
mapfile -t got < <(py -c 'import json,sys; [print(json.loads(l)["delivery"]) for l in open(sys.argv[1])]' "$work/hook.log")
[[ ${#got[@]} == 3 && ${got[0]} == "$r3id" && ${got[1]} == "$r3id" && ${got[2]} != "$r3id" ]] ||
	die "outbox retry: ${got[*]} (want r3's id twice, then r4's)"

# ---- 5. concurrent runs, a run killed ----
say "two concurrent runs; a run killed with SIGKILL"
n0=$(q2 "select count(*) from sweep_runs")
nsx "$bin" sweep run lab2 -q & long=$!
for i in $(seq 1 100); do [[ $(q2 "select count(*) from sweep_runs") -gt $n0 ]] && break; sleep 0.05; done
set +e
t0=$(date +%s%N); nsx "$bin" sweep run lab2 -q 2>"$work/busy.err"; rc=$?; t1=$(date +%s%N)
set -e
wait $long
[[ $rc == 75 ]] || die "second run exited $rc, not 75"
(( (t1 - t0) / 1000000 < 3000 )) || die "the busy run took $(( (t1 - t0) / 1000000 )) ms"
[[ $(q2 "select count(*) from sweep_runs") == $((n0 + 1)) ]] || die "the busy run added a run row"
last=$(q2 "select max(id) from sweep_runs where status = 'complete'")
# ip netns exec execs bphound: $! is bphound's own pid
ip netns exec "$prefix-scan" "$bin" sweep run lab2 -q & victim=$!
for i in $(seq 1 200); do
	[[ $(q2 "select count(*) from sweep_runs where status = 'running'") == 1 ]] && break
	sleep 0.02
done
kill -9 $victim; wait $victim 2>/dev/null || true
dead=$(q2 "select max(id) from sweep_runs")
sweep lab2 -q
[[ $(q2 "select status from sweep_runs where id = $dead") == interrupted ]] || die "killed run not interrupted"
new=$(q2 "select max(id) from sweep_runs")
[[ $(q2 "select status from sweep_runs where id = $new") == complete ]] || die "run after the kill"
from=$(q2 "select distinct json_extract(event, '\$.run_from') from sweep_events where run_id = $new")
[[ "$from" == "$last" ]] || die "run $new compared with '$from', not the last complete run $last"

# ---- 6. bad input: file:line:column, exit 2, nothing sent ----
say "bad configs, watch files, intel files"
pk() { nsx cat /sys/class/net/eth0/statistics/tx_packets; }
bad() { # name expect-regex file-content
	printf '%s' "$3" >"$conf/$1.yaml"
	local before runs rc=0
	before=$(pk); runs=$(q2 "select count(*) from sweep_runs")
	nsx "$bin" sweep run "$1" 2>"$work/err" || rc=$?
	[[ $rc == 2 ]] || die "$1: exit $rc, not 2"
	grep -Eq "$2" "$work/err" || die "$1: message '$(cat "$work/err")'"
	[[ $(pk) == "$before" && $(q2 "select count(*) from sweep_runs") == "$runs" ]] ||
		die "$1: something was sent or recorded"
}
base="targets: {cidrs: [198.18.30.0/24]}
allow_reserved: true
db: $work/lab2.db
"
bad b1 "b1.yaml:4:7: rate: 'fast' is not an integer" "${base}rate: fast
ports: [22]
"
bad b2 "b2.yaml:4:1: .*unknown key 'colour'" "${base}colour: red
ports: [22]
"
bad b3 "b3.yaml:4:13: ports: '70000'" "${base}ports: [22, 70000]
"
printf 'source: x\nentries:\n  - {kind: jarm, value: nothex}\n' >"$conf/badwatch.yaml"
bad b4 "badwatch.yaml:3:25: value: expected 62 hexadecimal digits" "${base}ports: [22]
watch: {files: [badwatch.yaml]}
"
printf '#fields\tindicator\tindicator_type\tmeta.source\n"198.18.30.70"\tIntel::ADDR\tfeed\n' >"$conf/bad.intel"
bad b5 "bad.intel:2:1: expected an IPv4 address" "${base}ports: [22]
watch: {files: [bad.intel]}
"
bad b6 "b6.yaml:5:11: schedule: '25:00'" "${base}ports: [22]
schedule: '25:00'
"
set +e
nsx "$bin" watch check "$conf/bad.intel" 2>"$work/err"; rc=$?
set -e
[[ $rc == 2 ]] && grep -q "bad.intel:2:1:" "$work/err" || die "watch check of a bad intel file"
say "PASS"
