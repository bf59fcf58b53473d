#!/usr/bin/env bash
# cluster_scale.sh - the clustering path a user runs, from the store: a
# heavy-tailed population with ground truth (bench/gen_population.py:
# default pages, popular builds and TCP stacks on 10-15% of hosts, vendor
# keys and CDN certificates on hundreds to thousands, most hosts alone),
# then `bphound import`, `cluster --json` (scored against the truth by
# bench/cluster_eval_score.py), the text report, every export format of
# the whole clustering, and `cluster SEED` for a provider's host, each
# timed with its peak RSS (/usr/bin/time). The seed's cluster is checked
# against the one of `cluster --json`. Writes
# bench/results/cluster_scale-<date>.json. The in-memory figures are
# bench/cluster_scale_mem.sh's.
#
# Usage: bench/cluster_scale.sh [--build DIR] [--hosts N | --10m]
#                               [--work DIR] [--keep]
# Default 1,000,000 hosts (the generator gives a few % fewer); --10m:
# 10,000,000. --work DIR keeps the population and store there (reused
# when present); --keep leaves a temporary work folder behind.
# Targets (issue 13): cluster --json and every export under 10 s and
# 2 GiB each; cluster SEED under 1 s.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BPH_BUILD:-$top/build}
hosts=1000000
work=""
keep=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--hosts) hosts=$2; shift 2 ;;
	--10m) hosts=10000000; shift ;;
	--work) work=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) echo "usage: $0 [--build DIR] [--hosts N | --10m] [--work DIR] [--keep]" >&2; exit 2 ;;
	esac
done
bin=$build/bphound
[[ -x $bin ]] || { echo "cluster_scale: no $bin (build first)" >&2; exit 1; }
if [[ -z $work ]]; then
	work=$(mktemp -d /tmp/bph-cscale.XXXXXX)
	[[ $keep == 1 ]] || trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work" "$top/bench/results"
k=$((hosts / 1000))
# the shares of bench/gen_population.py's defaults, scaled to hosts
gen=(--solos $((hosts * 9 / 10)) --providers $((k * 3 / 2))
	--orgs $((hosts / 100)) --cdns $((hosts / 50000 > 4 ? hosts / 50000 : 4))
	--vendors $((hosts * 3 / 100000 > 6 ? hosts * 3 / 100000 : 6)))
# past 2M hosts the records do not fit in memory as Python objects (1M
# took 2.5 GiB): the generator spills them into bucket files in $work
spill=()
((hosts <= 2000000)) || spill=(--spill "$work")
# and each export is removed once timed (ten of them at 10M are some
# 25 GB); cluster --json's output stays, for the score and the seed
drop=0
((hosts <= 2000000)) || drop=1
pop=$work/pop.jsonl truth=$work/truth.json db=$work/store.db
runs=()

# timed NAME CMD...: runs CMD, records wall seconds, CPU seconds (user +
# system: other jobs on the machine stretch the wall time, not this) and
# peak RSS (MiB), with the load average when it ended
timed() {
	local name=$1; shift
	/usr/bin/time -f '%e %U %S %M' -o "$work/time.$name" "$@"
	read -r s u sy kib <"$work/time.$name"
	local cpu mib load
	cpu=$(awk "BEGIN{printf \"%.2f\", $u + $sy}")
	mib=$(awk "BEGIN{printf \"%.1f\", $kib / 1024}")
	load=$(cut -d' ' -f1 /proc/loadavg)
	runs+=("$(printf '{"step": "%s", "s": %s, "cpu_s": %s, "peak_rss_mib": %s, "load": %s}' \
		"$name" "$s" "$cpu" "$mib" "$load")")
	printf '%-18s %8.2f s %8.2f s CPU %9.1f MiB  load %s\n' "$name" "$s" \
		"$cpu" "$mib" "$load" >&2
}

if [[ ! -s $pop || ! -s $truth ]]; then
	timed generate /usr/bin/python3 "$top/bench/gen_population.py" \
		"${gen[@]}" "${spill[@]}" -o "$pop" -t "$truth"
fi
if [[ ! -s $db ]]; then
	timed import "$bin" import "$pop" --db "$db" -q
fi
timed cluster_json sh -c '"$0" cluster --db "$1" --json >"$2"' \
	"$bin" "$db" "$work/clusters.json"
timed cluster_text sh -c '"$0" cluster --db "$1" >"$2"' \
	"$bin" "$db" "$work/clusters.txt"
[[ $drop == 0 ]] || rm -f "$work/clusters.txt"
for f in json graphml gexf dot cytoscape stix csv html zeek-intel; do
	timed "export_$f" "$bin" export --db "$db" --format "$f" \
		-o "$work/export.$f" -q
	[[ $drop == 0 ]] || rm -f "$work/export.$f"
done
# a seed in the largest provider, and its cluster in the --json output
seed=$(/usr/bin/python3 - "$truth" <<'PY'
import collections, json, sys
labels = json.load(open(sys.argv[1]))["labels"]
n = collections.Counter(v for v in labels.values() if v.startswith("prov-"))
big = n.most_common(1)[0][0]
print(min((h for h, v in labels.items() if v == big),
          key=lambda h: tuple(int(x) for x in h.split("."))))
PY
)
timed cluster_seed sh -c '"$0" cluster "$1" --db "$2" >"$3"' \
	"$bin" "$seed" "$db" "$work/seed.txt"
same=$(/usr/bin/python3 - "$work/clusters.json" "$work/seed.txt" "$seed" "$top/bench" <<'PY'
import re, sys
sys.path.insert(0, sys.argv[4])
from cluster_eval_score import iter_clusters  # streamed: GBs at 10M
want = next(sorted(k["hosts"]) for k in iter_clusters(sys.argv[1])
            if sys.argv[3] in k["hosts"])
text = open(sys.argv[2]).read()
got = sorted({sys.argv[3]} | set(re.findall(r"^  (\S+)  linked to", text, re.M)))
print("true" if got == want else "false", len(want))
PY
)
/usr/bin/python3 "$top/bench/cluster_eval_score.py" "$truth" \
	"$work/clusters.json" --out "$work/score.json" >/dev/null
out=$top/bench/results/cluster_scale-$(date -u +%Y-%m-%d).json
{
	printf '{"machine": "%s cores, %s GiB, load %s at the end",\n' "$(nproc)" \
		"$(free -g | awk '/Mem:/{print $2}')" "$(cut -d' ' -f1 /proc/loadavg)"
	printf ' "commit": "%s", "hosts": %d, "records": %d, "generator_args": "%s",\n' \
		"$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
		"$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["labels"]))' "$truth")" \
		"$(wc -l <"$pop")" "${gen[*]}"
	printf ' "seed": "%s", "seed_cluster_equal_to_json": %s, "seed_cluster_hosts": %s,\n' \
		"$seed" ${same% *} ${same#* }
	printf ' "score": %s,\n' "$(cat "$work/score.json")"
	printf ' "runs": [\n  %s' "${runs[0]}"
	for r in "${runs[@]:1}"; do printf ',\n  %s' "$r"; done
	printf '\n ]}\n'
} >"$out"
echo "results in $out" >&2
