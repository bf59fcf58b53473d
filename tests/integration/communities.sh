#!/usr/bin/env bash
# Communities inside large clusters (--communities), checked against
# networkx on a synthetic population (bench/gen_population.py): the
# partition of every split cluster, its modularity next to networkx's
# Louvain, Leiden's connected communities, numbering, determinism, and
# usage errors. Offline: the binary reads a store it imports, nothing is
# sent.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BPH_BUILD:-$top/build}/bphound
py=/usr/bin/python3 # Debian's, with python3-networkx (install-deps.sh)
work=$(mktemp -d /tmp/bph-comm.XXXXXX)
trap 'rm -rf "$work"' EXIT
db=$work/pop.db
check=$top/tests/integration/communities_check.py

"$py" "$top/bench/gen_population.py" -o "$work/pop.jsonl" \
	-t "$work/truth.json" --solos 2000 --seed 11
"$bin" import "$work/pop.jsonl" --db "$db" --quiet
"$bin" cluster --db "$db" --json >"$work/plain.json"
"$bin" cluster --db "$db" >"$work/plain.txt"
if grep -q "community" "$work/plain.txt"; then
	echo "FAIL: communities in the report without --communities"
	exit 1
fi

run() { # run METHOD MIN: report and JSON of one setting, then the check
	local m=$1 min=$2
	"$bin" cluster --db "$db" --communities "$m" --community-min "$min" \
		>"$work/$m-$min.txt"
	"$bin" cluster --db "$db" --json --communities "$m" \
		--community-min "$min" >"$work/$m-$min.json"
	"$py" "$check" "$work/$m-$min.json" "$work/$m-$min.txt" "$m" "$min"
	# the same input gives the same communities
	"$bin" cluster --db "$db" --communities "$m" --community-min "$min" \
		>"$work/$m-$min.again.txt"
	cmp "$work/$m-$min.txt" "$work/$m-$min.again.txt"
}
run louvain 50
run leiden 50
run louvain 20
run leiden 20

# the clusters themselves do not change: same report before the
# community lines (the summary line ends the cluster part)
n=$(wc -l <"$work/plain.txt")
head -n "$n" "$work/louvain-50.txt" | cmp - "$work/plain.txt"

# a very low resolution merges: no cluster splits
"$bin" cluster --db "$db" --communities louvain --resolution 0.0001 \
	>"$work/low.txt"
if grep -q "communities (louvain" "$work/low.txt"; then
	echo "FAIL: resolution 0.0001 still split a cluster"
	exit 1
fi
grep -q "one community (louvain found no split)" "$work/low.txt"
echo "communities: ok"
