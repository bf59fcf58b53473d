#!/usr/bin/env bash
# Issue 2's acceptance test: bring up the lab, run `bphound pivot` from the
# lab's seed inside the scanner namespace, and check that
#   (a) the clusters equal the lab's ground truth exactly,
#   (b) every open port of the ground truth was found, and nothing else,
#   (c) every SSH host key equals `ssh-keyscan | ssh-keygen -lf -` and every
#       certificate hash equals `openssl x509 -fingerprint -sha256`,
#   (d) the GraphML export parses (networkx) and carries the same clusters.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib/labtest.sh"
labtest_init pivot bphpv

bash "$top/tests/lab/lab.sh" --prefix "$prefix" up "$work/lab"
truth=$work/lab/truth.json
py() { /usr/bin/python3 "$@"; }
seed=$(py -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$truth")
ranges=$(py -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["ranges"]))' "$truth")
ports=$(py -c 'import json,sys; t=json.load(open(sys.argv[1])); print(",".join(str(p) for p in sorted({p for h in t["hosts"] for p in h["open_ports"]} | {21, 25, 3389, 8080})))' "$truth")
nsx() { ip netns exec "$prefix-scan" "$@"; }

nsx "$bin" pivot "$seed" --ranges "$ranges" -p "$ports" --allow-reserved \
	--db "$work/pivot.db" -o "$work/scan.jsonl" \
	--export "json:$work/pivot.json" --export "graphml:$work/pivot.graphml" \
	| tee "$work/pivot.txt"

# Oracles, run from the same vantage point as bphound.
: >"$work/oracle.txt"
while read -r ip port kind; do
	case $kind in
	ssh)
		nsx ssh-keyscan -T 5 -p "$port" -t ed25519,ecdsa,rsa "$ip" 2>/dev/null \
			| ssh-keygen -lf - | awk -v ip="$ip" -v port="$port" '{print ip, port, "ssh", $2}' >>"$work/oracle.txt"
		;;
	tls)
		nsx timeout 10 openssl s_client -connect "$ip:$port" </dev/null 2>/dev/null \
			| openssl x509 -noout -fingerprint -sha256 \
			| sed 's/.*=//; s/://g' | tr 'A-F' 'a-f' \
			| awk -v ip="$ip" -v port="$port" '{print ip, port, "tls", $1}' >>"$work/oracle.txt"
		;;
	esac
done < <(py -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "ssh" in r: print(r["ip"], r["port"], "ssh")
    if "tls" in r: print(r["ip"], r["port"], "tls")
' "$work/scan.jsonl")

py "$top/tests/integration/check_pivot.py" "$truth" "$work/pivot.json" \
	"$work/scan.jsonl" "$work/oracle.txt" "$work/pivot.graphml"

# show: the seed's history, then its cluster's evidence (cli/report.c),
# which names another member of the seed's provider.
"$bin" show "$seed" --db "$work/pivot.db" >"$work/show.txt"
grep -q "^cluster evidence:" "$work/show.txt"
peer=$(py -c 'import json,sys; t=json.load(open(sys.argv[1])); s=t["seed"]; p=[h for h in t["hosts"] if h["ip"]==s][0]["provider"]; print([h["ip"] for h in t["hosts"] if h.get("provider")==p and h["ip"]!=s][0])' "$truth")
grep -qF "$peer" "$work/show.txt"
echo "show: cluster evidence for $seed names $peer"
