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

# The report and --explain on stored data, without a scan: a host the
# neighbour rule attached, and a lone neighbour in the same /24.
read -r seed joined lone < <(/usr/bin/python3 - "$work/run/clusters.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
size = {}
for k in doc["clusters"]:
    for h in k["hosts"]:
        size[h] = len(k["hosts"])
for k in doc["clusters"]:
    for l in k["links"]:
        if l["rule"] == "neighbour":
            a, b = l["a"], l["b"]
            net = a.rsplit(".", 1)[0] + "."
            lone = [h for h in size if h.startswith(net) and size[h] == 1]
            if lone:
                print(b, a, lone[0])
                sys.exit(0)
sys.exit(1)
PY
)
bin=$build/bphound
db=$work/run/eval.db
"$bin" cluster "$seed" --db "$db" --explain "$joined" >"$work/in.txt"
grep -q "^$joined is in the cluster of $seed" "$work/in.txt" &&
	grep -q "rule neighbour" "$work/in.txt" &&
	grep -q "netblock ${joined%.*}.0/24" "$work/in.txt" ||
	{ echo "FAIL: explain of a neighbour-joined host"; cat "$work/in.txt"; exit 1; }
"$bin" cluster "$seed" --db "$db" --explain "$lone" >"$work/out.txt"
grep -q "^$lone is NOT in the cluster of $seed" "$work/out.txt" &&
	grep -q "neighbour rule" "$work/out.txt" &&
	grep -q "its /24: [0-9]* of its [0-9]* hosts in the cluster" "$work/out.txt" ||
	{ echo "FAIL: explain of a lone neighbour"; cat "$work/out.txt"; exit 1; }
echo "cluster_quality: cluster $seed --explain shows the neighbour link of $joined and why $lone stays alone"
