#!/usr/bin/env bash
# The README's first command: install what is missing, build, bring up the
# lab, pivot from the lab's seed host, print the linked hosts and write a
# GraphML graph, the JSON cluster report and the HTML page (out/lab.html:
# open it in a browser) to out/. The lab is always
# torn down, also on failure or Ctrl-C.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

bash tests/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

labdir=$(mktemp -d /tmp/bphlab-demo.XXXXXX)
prefix=bphdemo
cleanup() {
	bash tests/lab/lab.sh --prefix "$prefix" down "$labdir" >/dev/null 2>&1 || true
	rm -rf "$labdir"
}
trap cleanup EXIT INT TERM
bash tests/lab/lab.sh --prefix "$prefix" up "$labdir"

seed=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$labdir/truth.json")
ranges=$(/usr/bin/python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["ranges"]))' "$labdir/truth.json")
mkdir -p out
rm -f out/lab.db
echo "== bphound pivot $seed --ranges $ranges (inside the lab's scanner namespace)"
ip netns exec "$prefix-scan" "$top/build/bphound" pivot "$seed" \
	--ranges "$ranges" --allow-reserved --db out/lab.db \
	-o out/lab.jsonl --export graphml:out/lab.graphml --export json:out/lab.json \
	--export html:out/lab.html
echo "== wrote out/lab.html (open it in a browser), out/lab.graphml, out/lab.json, out/lab.jsonl and the store out/lab.db"
