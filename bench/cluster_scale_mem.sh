#!/usr/bin/env bash
# cluster_scale_mem.sh - in-memory clustering wall time and peak RSS at 10k, 100k and 1M
# hosts (10 artifacts each), one process per size (bench/cluster_scale.c);
# with --db FILE also the load from a store (bph_store_load_graph); with
# --import FILE first `bphound import FILE` into a fresh store (timed) and
# then the load from it. Writes bench/results/cluster_scale_mem-<date>.json.
#
# Usage: bench/cluster_scale_mem.sh [--build DIR] [--db FILE | --import FILE]
#                               [SIZES...]
# e.g. a 112k-host store: bench/gen_population.py --solos 100000
#      --providers 300 --orgs 2000 -o big.jsonl -t truth.json
# Target: 1,000,000 hosts / 10,000,000 artifacts clustered in < 10 s and
# < 2 GiB peak RSS.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BPH_BUILD:-$top/build}
db=""
import=""
while [[ $# -gt 0 ]]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--db) db=$2; shift 2 ;;
	--import) import=$2; shift 2 ;;
	*) break ;;
	esac
done
sizes=("${@:-10000 100000 1000000}")
bin=$build/cluster_scale
[[ -x $bin ]] || { echo "cluster_scale: no $bin (build first)" >&2; exit 1; }
mkdir -p "$top/bench/results"
import_json=""
if [[ -n $import ]]; then
	tmp=$(mktemp -d /tmp/bph-cscale.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	db=$tmp/import.db
	t0=$(date +%s.%N)
	"$build/bphound" import "$import" --db "$db" -q
	t1=$(date +%s.%N)
	import_json=$(printf '{"import_file": "%s", "import_lines": %d, "import_s": %.2f}' \
		"$import" "$(wc -l <"$import")" "$(awk "BEGIN{print $t1 - $t0}")")
fi
out=$top/bench/results/cluster_scale_mem-$(date -u +%Y-%m-%d).json
{
	echo '{"machine": "'"$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1 /proc/loadavg)"'",'
	echo ' "runs": ['
	sep=""
	for n in ${sizes[*]}; do
		printf '%s  ' "$sep"
		"$bin" --hosts "$n"
		sep=","
	done
	if [[ -n $import_json ]]; then
		printf '%s  %s\n' "$sep" "$import_json"
	fi
	if [[ -n $db ]]; then
		printf '%s  ' "$sep"
		"$bin" --db "$db"
	fi
	echo ' ]}'
} | tee "$out"
echo "results in $out" >&2
