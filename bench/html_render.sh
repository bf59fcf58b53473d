#!/usr/bin/env bash
# html_render.sh - the HTML page of a 5,000-host cluster in headless
# Chromium: file size, time to first render, layout time, the longest the
# page blocks input while laying out, and click-to-panel time
# (bench/html_render.py). Generates the store itself: one provider of 5,520
# hosts (bench/gen_population.py; its clustered part is one cluster of
# about 5,000), 20 organisations and 500 unrelated hosts, imported into a
# fresh store; the page is `bphound export --format html` without a seed
# (the largest cluster is drawn first). Writes
# bench/results/html_render-<date>.json. No network: files only.
#
# Usage: bench/html_render.sh [--build DIR] [--runs N] [--keep DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BPH_BUILD:-$top/build}
runs=3
keep=""
while [[ $# -gt 0 ]]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [--runs N] [--keep DIR]" >&2; exit 2 ;;
	esac
done
bin=$build/bphound
[[ -x $bin ]] || { echo "html_render: no $bin (build first)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/bph-htmlrender.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$top/bench/gen_population.py" --seed 3 --providers 1 \
	--provider-min 5520 --provider-max 5520 --orgs 20 --solos 500 \
	--cdns 0 --vendors 0 --neighbours 0.1 -o "$tmp/pop.jsonl" -t "$tmp/truth.json"
"$bin" import "$tmp/pop.jsonl" --db "$tmp/pop.db" -q
"$bin" cluster --db "$tmp/pop.db" >"$tmp/report.txt"
largest=$(grep -m1 '^cluster 1:' "$tmp/report.txt" | cut -d, -f1-2)
t0=$(date +%s.%N)
"$bin" export --format html --db "$tmp/pop.db" -o "$tmp/page.html"
t1=$(date +%s.%N)
[[ -n $keep ]] && cp "$tmp/page.html" "$keep/"
mkdir -p "$top/bench/results"
out=$top/bench/results/html_render-$(date -u +%Y-%m-%d).json
{
	echo '{"machine": "'"$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1 /proc/loadavg)"'",'
	echo ' "chromium": "'"$(/usr/bin/chromium --version 2>/dev/null | head -n1)"'",'
	echo ' "largest": "'"$largest"'",'
	printf ' "export_s": %.2f,\n' "$(awk "BEGIN{print $t1 - $t0}")"
	echo ' "runs": ['
	/usr/bin/python3 "$top/bench/html_render.py" "$tmp/page.html" "$runs" | sed '2,$s/^/,/'
	echo ' ]}'
} | tee "$out"
