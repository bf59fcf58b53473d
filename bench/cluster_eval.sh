#!/usr/bin/env bash
# cluster_eval.sh - clustering quality against synthetic ground truth.
#
# Generates a population (bench/gen_population.py, seeded), imports it with
# `bphound import`, clusters it with `bphound cluster --json`, and scores
# pairwise precision/recall, ARI and B-cubed (bench/cluster_eval_score.py).
# Writes bench/results/cluster_eval-<date>.json.
#
# Usage: bench/cluster_eval.sh [--build DIR] [--keep DIR] [--out FILE]
#                              [-- GENERATOR ARGS]
#   e.g. bench/cluster_eval.sh -- --seed 7 --solos 40000
# Targets on the default generator settings: precision >= 0.99, recall >= 0.95.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BPH_BUILD:-$top/build}
keep=""
out=$top/bench/results/cluster_eval-$(date -u +%Y-%m-%d).json
while [[ $# -gt 0 ]]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "usage: $0 [--build DIR] [--keep DIR] [--out FILE] [-- GENERATOR ARGS]" >&2; exit 2 ;;
	esac
done
bin=$build/bphound
[[ -x $bin ]] || { echo "cluster_eval: no $bin (build first)" >&2; exit 1; }
work=${keep:-$(mktemp -d /tmp/bph-ceval.XXXXXX)}
mkdir -p "$work"
[[ -n $keep ]] || trap 'rm -rf "$work"' EXIT
rm -f "$work/eval.db" "$work/eval.db-wal" "$work/eval.db-shm"

now() { date +%s.%N; }
t0=$(now)
/usr/bin/python3 "$top/bench/gen_population.py" -o "$work/pop.jsonl" \
	-t "$work/truth.json" "$@"
t1=$(now)
"$bin" import "$work/pop.jsonl" --db "$work/eval.db"
t2=$(now)
"$bin" cluster --db "$work/eval.db" --json >"$work/clusters.json"
t3=$(now)
mkdir -p "$(dirname "$out")"
meta=$(printf '{"generator_args": "%s", "import_s": %.2f, "cluster_s": %.2f, "commit": "%s"}' \
	"$*" "$(awk "BEGIN{print $t2 - $t1}")" "$(awk "BEGIN{print $t3 - $t2}")" \
	"$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)")
/usr/bin/python3 "$top/bench/cluster_eval_score.py" "$work/truth.json" \
	"$work/clusters.json" --out "$out" --meta "$meta"
printf 'import %.1f s, cluster --json %.1f s; results in %s\n' \
	"$(awk "BEGIN{print $t2 - $t1}")" "$(awk "BEGIN{print $t3 - $t2}")" "$out"
