#!/usr/bin/env bash
# Communities inside large clusters (--communities), on a synthetic
# population (bench/gen_population.py), checked with networkx
# (communities_check.py): the partition of every split cluster, its
# modularity next to networkx's Louvain, Leiden's connected communities,
# numbering, determinism; and, with the providers chained by false links,
# that the default settings cut the chain apart again. Offline: the
# binary reads a store it imports, nothing is sent.
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

run() { # run DB METHOD MIN RESOLUTION: the report, then the check
	local d=$1 m=$2 min=$3 res=$4 out=$work/$2-$3-$4
	local args=(--db "$d" --communities "$m" --community-min "$min"
		--resolution "$res")
	"$bin" cluster "${args[@]}" >"$out.txt"
	"$bin" cluster --json "${args[@]}" >"$out.json"
	"$py" "$check" check "$out.json" "$out.txt" "$m" "$min" "$res"
	# the same input gives the same communities
	"$bin" cluster "${args[@]}" | cmp - "$out.txt"
}
run "$db" louvain 50 1
run "$db" leiden 50 1
run "$db" louvain 20 1
run "$db" leiden 20 0.5

# the clusters themselves do not change: the report is the same up to
# its summary line, the community lines follow it
n=$(wc -l <"$work/plain.txt")
head -n "$n" "$work/louvain-50-1.txt" | cmp - "$work/plain.txt"

# a very low resolution merges: no cluster splits
"$bin" cluster --db "$db" --communities louvain --resolution 0.0001 \
	>"$work/low.txt"
if grep -q "communities (louvain" "$work/low.txt"; then
	echo "FAIL: resolution 0.0001 still split a cluster"
	exit 1
fi
grep -q "one community (louvain found no split)" "$work/low.txt"

# providers chained by false certificates: one giant component, which
# the default resolution cuts back into providers
cp "$db" "$work/chain.db"
"$py" "$check" bridges "$work/truth.json" "$work/bridges.jsonl"
"$bin" import "$work/bridges.jsonl" --db "$work/chain.db" --quiet
"$bin" cluster --db "$work/chain.db" --json >"$work/chain.json"
for m in louvain leiden; do
	"$bin" cluster --db "$work/chain.db" --communities "$m" \
		>"$work/chain-$m.txt"
	"$py" "$check" precision "$work/truth.json" "$work/chain.json" \
		"$work/chain-$m.txt"
done
run "$work/chain.db" leiden 50 0.1
echo "communities: ok"
