#!/usr/bin/env bash
# data_load.sh: routing, registry and deny-list data at real sizes (issue 12,
# item 10). Generates the files with bench/data_gen.py (1M pfx2as prefixes,
# 100k IPv6 ones, 500k as-rel links, as2org for 70k ASes, 4M RPSL objects,
# 1,500 DROP entries, 1M host addresses), imports each with `bphound data
# import` (wall time and peak RSS per file, the store's size), then runs
# bench/data_load.c: loading the current snapshots, longest-prefix matches
# per second on one core, full route lookups, and annotating the 1M hosts.
# Prints a table and writes bench/results/data_load-<UTC date>.json.
#
# Usage: bench/data_load.sh [--scale S] [--data DIR] [--keep DIR] [--note T]
#   --scale  sizes relative to the real ones (default 1)
#   --data   where the generated files are kept (reused when present)
#   --keep   keep the store there
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BPH_BUILD:-$top/build}
scale=1 data="" keep="" note=${BENCH_NOTE:-}
while [[ $# -gt 0 ]]; do
	case $1 in
	--scale) scale=$2; shift 2 ;;
	--data) data=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--note) note=$2; shift 2 ;;
	*) sed -n '2,14p' "$0" >&2; exit 2 ;;
	esac
done
work=$(mktemp -d /tmp/bph-dataload.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
data=${data:-$work/data}
mkdir -p "$data"
if [[ ! -f $data/hosts.txt ]]; then
	echo "generating the files (scale $scale) in $data ..." >&2
	/usr/bin/time -f "%e" -o "$work/gen.time" python3 "$top/bench/data_gen.py" "$data" --scale "$scale"
fi
store=${keep:+$keep/}bench.db
[[ -n $keep ]] && mkdir -p "$keep" && rm -f "$store"*
[[ -z $keep ]] && store=$work/bench.db

files=(routeviews-rv2-20261206-1200.pfx2as.gz routeviews-rv6-20261206-1200.pfx2as.gz
	20261201.as-rel2.txt.bz2 20261001.as-org2info.txt.gz ripe.db.inetnum.gz
	ripe.db.organisation.gz ripe.db.role.gz ripe.db.aut-num.gz drop_v4.json)
json_files=""
total=0
printf '%-40s %9s %9s %9s %12s\n' file wall_s cpu_s peak_MiB records
for f in "${files[@]}"; do
	/usr/bin/time -f "%e %U %S %M" -o "$work/t" "$build/bphound" data import "$data/$f" \
		--db "$store" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
	read -r secs usr sys kib <"$work/t"
	cpu=$(awk -v a="$usr" -v b="$sys" 'BEGIN { print a + b }')
	recs=$(grep -o '[0-9]* records' "$work/err" | head -1 | cut -d' ' -f1)
	printf '%-40s %9.2f %9.2f %9.0f %12s\n' "$f" "$secs" "$cpu" "$((kib / 1024))" "$recs"
	total=$(awk -v a="$total" -v b="$secs" 'BEGIN { print a + b }')
	total_cpu=$(awk -v a="${total_cpu:-0}" -v b="$cpu" 'BEGIN { print a + b }')
	json_files+="${json_files:+,}{\"file\": \"$f\", \"seconds\": $secs, \"cpu_seconds\": $cpu, \"peak_kib\": $kib, \"records\": ${recs:-0}}"
done
size=$(du -cb "$store"* | tail -1 | cut -f1)
printf 'import total %.1f s wall, %.1f s CPU, store %.0f MiB\n' "$total" "$total_cpu" \
	"$(awk -v s="$size" 'BEGIN { print s / 1048576 }')"

"$build/data_load" --db "$store" --hosts "$data/hosts.txt" >"$work/load.json"
python3 - "$work/load.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("load of the current snapshots: %.2f s wall, %.2f s CPU (peak %d MiB), "
      "%d prefixes" % (r["load_s"], r["load_cpu_s"], r["load_peak_mib"],
                       r["prefixes"]))
print("longest-prefix match per CPU second of one core: %.1f M/s on random "
      "addresses, %.1f M/s on the hosts; full routes %.2f M/s" %
      (r["lpm_random_per_s"] / 1e6, r["lpm_hosts_per_s"] / 1e6,
       r["route_hosts_per_s"] / 1e6))
print("annotating %d hosts: %.2f s CPU (%.2f s wall), %.2f s CPU with the "
      "JSON of every host; %d annotated; their clustering %.2f s apart; "
      "peak %d MiB" % (r["hosts"], r["annotate_cpu_s"], r["annotate_s"],
                       r["annotate_json_cpu_s"], r["hosts_annotated"],
                       r["cluster_s"], r["peak_mib"]))
PY
mkdir -p "$top/bench/results"
out=$top/bench/results/data_load-$(date -u +%Y-%m-%d).json
printf '{"scale": %s, "note": "%s", "load_average": "%s", "import_total_s": %s, "import_total_cpu_s": %s, "store_bytes": %s, "imports": [%s], "lookups": %s}\n' \
	"$scale" "$note" "$(cut -d' ' -f1-3 /proc/loadavg)" "$total" "$total_cpu" "$size" "$json_files" "$(cat "$work/load.json")" >"$out"
echo "results: $out"
