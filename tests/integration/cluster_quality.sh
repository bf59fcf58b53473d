#!/usr/bin/env bash
# Clustering quality on the default synthetic population (issue targets):
# bench/cluster_eval.sh with the generator's defaults must keep pairwise
# precision >= 0.99 and recall >= 0.95, and no neighbour-rule link may join
# hosts of different operators. No network traffic; about 10 s.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BPH_BUILD:-$top/build}
work=$(mktemp -d /tmp/bph-cq.XXXXXX)
trap 'rm -rf "$work"' EXIT

bash "$top/bench/cluster_eval.sh" --build "$build" --keep "$work/run" \
	--out "$work/score.json" >"$work/eval.log" 2>&1 ||
	{ cat "$work/eval.log"; exit 1; }
/usr/bin/python3 - "$work/score.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
p, r = s["pairwise_precision"], s["pairwise_recall"]
rules = s["links_by_rule"]
nb = rules.get("neighbour", {"links": 0, "wrong": 0})
print("precision %.4f recall %.4f ARI %.4f; links by rule %s" %
      (p, r, s["adjusted_rand_index"], rules))
bad = []
if p < 0.99:
    bad.append("precision %.4f < 0.99" % p)
if r < 0.95:
    bad.append("recall %.4f < 0.95" % r)
if nb["wrong"]:
    bad.append("%d neighbour links join different operators" % nb["wrong"])
if not nb["links"]:
    bad.append("the neighbour rule linked nothing")
if s["missing_hosts"] or s["unknown_hosts"]:
    bad.append("hosts lost or invented on import")
if bad:
    print("FAIL: " + "; ".join(bad))
    sys.exit(1)
print("cluster_quality: targets met")
PY
