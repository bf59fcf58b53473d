#!/usr/bin/env bash
# The lab pivot annotated with its networks (issue 12, items 3 and 4): the
# lab's routing, registry and list files (tests/data/ranges/lab: synthetic,
# for the lab's 198.18.x addresses; nothing outside the lab is scanned) are
# loaded first, then `pivot SEED --scope asn --scope-siblings` scans the
# seed's origin AS and its sibling (198.18.10.0/24 and 198.18.20.0/24, the
# lab's own ranges) inside the scanner namespace. Checked with
# check_data.py (ipaddress, an RPSL reader of its own) and networkx:
# every host's prefix and inetnum, the seed's abuse mailbox and upstreams,
# the cluster's ASes, list shares and reseller-chain remark, the GraphML
# attributes, `show` and `asinfo --history`; a sweep config whose targets
# name an AS scans that AS's prefixes alone.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fx=$top/tests/data/ranges/lab
. "$top/tests/integration/lib/labtest.sh"
labtest_init datalab bphdl

db=$work/pivot.db
"$bin" data import -q --db "$db" "$fx"/routeviews-rv2-2026*.pfx2as "$fx"/2026*.as-rel2.txt \
	"$fx/20261001.as-org2info.txt" "$fx/lab.db" "$fx/drop_v4.json" \
	"$fx/asndrop.json" "$fx/block.txt" "$fx/delegated-ripencc-extended-20261206"

cp "$db" "$work/sweep.db" # routing data, no hosts: for the sweep below

bash "$top/tests/lab/lab.sh" --prefix "$prefix" up "$work/lab"
truth=$work/lab/truth.json
seed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$truth")
nsx() { ip netns exec "$prefix-scan" "$@"; }

nsx "$bin" pivot "$seed" --scope asn --scope-siblings -p 22,80,443,2222,8443 \
	--allow-reserved --db "$db" --export "json:$work/pivot.json" \
	--export "graphml:$work/pivot.graphml" >"$work/pivot.txt" 2>"$work/pivot.err"
grep -q "the ASes expand to 2 IPv4 prefixes, 512 addresses" "$work/pivot.err"
grep -q "^networks of cluster" "$work/pivot.txt"
grep -q "remark: spans 2 ASes" "$work/pivot.txt"
python3 "$top/tests/integration/check_data.py" lab "$fx" "$truth" "$work/pivot.json"

python3 - "$work/pivot.graphml" "$seed" <<'PY'
import sys, networkx as nx
g = nx.read_graphml(sys.argv[1])
n = g.nodes[sys.argv[2]]
assert n["asn"] == "64500" and n["prefix"] == "198.18.10.0/24", n
assert "spamhaus-drop" in n["listed"] and n["sub_allocation"] == "yes", n
print("graphml: the seed's node carries asn, prefix, listed and sub_allocation")
PY

# a sweep config's targets name an AS: the run scans what it originates
# (AS64501: 198.18.20.0/24 alone), nothing of AS64500
mkdir -p "$work/xdg/bphound/sweeps"
cat >"$work/xdg/bphound/sweeps/asn.yaml" <<EOF
name: asn
db: $work/sweep.db
targets: {cidrs: [AS64501]}
allow_reserved: true
ports: [22, 80, 443, 2222, 8443]
rate: 20000
cooldown: 1s
EOF
nsx env XDG_CONFIG_HOME="$work/xdg" "$bin" sweep run asn >"$work/sweep.txt" 2>"$work/sweep.err" ||
	{ cat "$work/sweep.err" >&2; exit 1; }
grep -q "the ASes expand to 1 IPv4 prefixes, 256 addresses" "$work/sweep.err"
"$bin" show 198.18.20.10 --db "$work/sweep.db" >/dev/null
if "$bin" show "$seed" --db "$work/sweep.db" >/dev/null 2>&1; then
	echo "sweep of AS64501 stored $seed (AS64500)" >&2
	exit 1
fi
echo "sweep: targets [AS64501] scanned 198.18.20.0/24 only"

"$bin" show "$seed" --db "$db" >"$work/show.txt"
grep -q "^networks:" "$work/show.txt"
grep -q "abuse_mailbox    abuse@bph.lab.example" "$work/show.txt"
"$bin" asinfo AS64500 --history --db "$db" >"$work/asinfo.txt"
grep -q "2026-11-01  AS64510 AS64512" "$work/asinfo.txt"
grep -q "2026-12-01  AS64510 AS64511" "$work/asinfo.txt"
grep -q "provider additions: 1, never seen before: 1" "$work/asinfo.txt"
echo "data_lab: ok"
