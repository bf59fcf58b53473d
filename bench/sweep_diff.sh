#!/usr/bin/env bash
# sweep_diff.sh - `bphound diff` timed as a user runs it: the store of two
# complete sweep runs over N hosts (bench/sweep_diff.c: heavy-tailed
# hosts, 1% of them changed in run 2, a watch file and a tracked provider
# cluster), then `bphound diff --config bench.yaml --db bench.db --format
# jsonl` (the diff, with run 2's watch hits and tracked cluster members
# as its evaluation stored them, sweep/reuse.c) with its wall and CPU time
# and peak RSS,
# REPEAT times; then REPEAT times the same diff under a changed config
# (run 2's hits and clusters computed again, from its stored index): a
# watch file with one entry more (a title no host has, so the events are
# the same but for the watch file's path), which changes the evaluation
# key. A change the events alone read (the tracked cluster's growth_pct,
# alerts, diff) would not: the key holds only what the hits and members
# read (sweep/reuse.c), and the stored evaluation would be reused.
# With --ndiff M, the same generator's runs over M hosts as nmap XML,
# compared by ndiff --xml (its peer; wall time and peak RSS).
# Writes bench/results/sweep_diff-<date>.json. Nothing is sent anywhere.
#
# Usage: bench/sweep_diff.sh [--build DIR] [--repeat K] [--ndiff M]
#                            [--keep DIR] [HOSTS]   (default 1000000)
# Target (issue 11): 1,000,000 hosts in < 10 s and < 2 GiB.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BPH_BUILD:-$top/build}
repeat=3
ndiff_hosts=0
keep=""
while [[ $# -gt 0 ]]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--ndiff) ndiff_hosts=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	*) break ;;
	esac
done
hosts=${1:-1000000}
for f in "$build/sweep_diff" "$build/bphound"; do
	[[ -x $f ]] || { echo "sweep_diff: no $f (build first)" >&2; exit 1; }
done
work=${keep:-$(mktemp -d /tmp/bph-sdiff.XXXXXX)}
mkdir -p "$work"
[[ -n $keep ]] || trap 'rm -rf "$work"' EXIT INT TERM

timed() { # timed OUT CMD...: "wall_s user_s sys_s max_rss_kib" of CMD into OUT
	/usr/bin/time -f '%e %U %S %M' -o "$1" "${@:2}"
}

mkdir -p "$work/store"
echo "sweep_diff: writing two runs of $hosts hosts to $work/store" >&2
timed "$work/gen.time" "$build/sweep_diff" "$work/store" "$hosts" 1 >"$work/gen.json"
runs=""
for ((i = 1; i <= repeat; i++)); do
	(cd "$work/store" && timed "$work/diff.time" "$build/bphound" diff \
		--config bench.yaml --db bench.db --format jsonl >"$work/events.jsonl")
	read -r s us ss kib <"$work/diff.time"
	load=$(cut -d' ' -f1 /proc/loadavg)
	runs+="${runs:+, }{\"wall_s\": $s, \"user_s\": $us, \"sys_s\": $ss, \"max_rss_mib\": $((kib / 1024)), \"load1\": $load}"
	echo "sweep_diff: bphound diff: $s s wall, $us s user, $ss s sys, $((kib / 1024)) MiB, $(wc -l <"$work/events.jsonl") events, load $load" >&2
done
# the same diff under another config (a watch entry added, and the
# tracked cluster's growth_pct): another evaluation key, so run 2's hits
# and clusters are computed again from its stored index (sweep/runidx.h)
# instead of reused
mkdir -p "$work/store/alt"
sed 's/growth_pct: 10/growth_pct: 11/; s#^db: bench.db#db: ../bench.db#' \
	"$work/store/bench.yaml" >"$work/store/alt/bench.yaml"
{
	cat "$work/store/watch.yaml"
	echo '  - {kind: title, value: "sweep_diff: a title no host has"}'
} >"$work/store/alt/watch.yaml"
recomputed=""
for ((i = 1; i <= repeat; i++)); do
	(cd "$work/store" && timed "$work/alt.time" "$build/bphound" diff \
		--config alt/bench.yaml --db bench.db --format jsonl >"$work/alt.jsonl")
	read -r s us ss kib <"$work/alt.time"
	load=$(cut -d' ' -f1 /proc/loadavg)
	recomputed+="${recomputed:+, }{\"wall_s\": $s, \"user_s\": $us, \"sys_s\": $ss, \"max_rss_mib\": $((kib / 1024)), \"load1\": $load}"
	echo "sweep_diff: bphound diff, config changed: $s s wall, $us s user, $ss s sys, $((kib / 1024)) MiB, $(wc -l <"$work/alt.jsonl") events, load $load" >&2
done
counts=$(/usr/bin/python3 -c '
import collections, json, sys
c = collections.Counter(json.loads(l)["type"] for l in open(sys.argv[1]))
print(json.dumps(dict(sorted(c.items()))))' "$work/events.jsonl")
ndiff_json=null
if ((ndiff_hosts > 0)); then
	mkdir -p "$work/xml"
	"$build/sweep_diff" "$work/xml" "$ndiff_hosts" 1 xml >/dev/null
	set +e
	timed "$work/ndiff.time" ndiff --xml "$work/xml/run1.xml" \
		"$work/xml/run2.xml" >"$work/ndiff.xml"
	rc=$?
	set -e
	read -r s us ss kib < <(tail -n 1 "$work/ndiff.time")
	ndiff_json="{\"hosts\": $ndiff_hosts, \"exit\": $rc, \"wall_s\": $s, \"user_s\": $us, \"sys_s\": $ss, \"max_rss_mib\": $((kib / 1024)), \"xml_mib\": $(($(stat -c %s "$work/xml/run1.xml") / 1048576))}"
	echo "sweep_diff: ndiff over $ndiff_hosts hosts: $s s, $((kib / 1024)) MiB (exit $rc)" >&2
fi
read -r gs _ _ gkib <"$work/gen.time"
mkdir -p "$top/bench/results"
out=$top/bench/results/sweep_diff-$(date -u +%Y-%m-%d).json
cat >"$out" <<JSON
{"machine": "$(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)",
 "store_mib": $(($(stat -c %s "$work/store/bench.db") / 1048576)),
 "generate": $(cat "$work/gen.json"), "generate_wall_s": $gs,
 "diff": [$runs], "diff_config_changed": [$recomputed], "events": $counts,
 "ndiff": $ndiff_json}
JSON
cat "$out"
