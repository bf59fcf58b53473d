#!/usr/bin/env bash
# Exports of a real scan with hostile strings, read back by independent
# parsers:
#
#   1. brings the lab up with its hostile hosts (tests/lab/lab.sh,
#      LAB_HOSTILE=1, prefix bphex<pid>; torn down on every exit),
#   2. runs `bphound pivot` from the lab's seed inside the scanner
#      namespace with --artifact-nodes and an --export of every format
#      (into DIR/art/), then `bphound export` of every format without it
#      (into DIR/),
#   3. takes the page title the scan recorded for the host whose title is
#      markup, quotes, control characters and invalid UTF-8, and runs
#      check_exports.py on both sets: networkx (GraphML, GEXF, Cytoscape),
#      graphviz (dot -Tsvg, dot -Tjson), xmllint --schema (GEXF 1.2draft
#      XSD), jsonschema (STIX 2.1 schemas), python json and csv; every host
#      label equals the JSON export's, cleaned per format, and the hostile
#      title appears, cleaned, on its host (and as an artifact node in
#      DIR/art/).
# Certificate subjects are not artifacts, so they are not in the exports
# (docs/output.md). Needs root, the lab's dependencies, /usr/bin/python3
# with python3-networkx and python3-jsonschema, graphviz, libxml2-utils.
# usage: tests/integration/exports_lab.sh   (BPH_BUILD: build directory)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BPH_BUILD:-$top/build}/bphound
schemas=$top/../shared/schemas
formats="json graphml gexf dot cytoscape stix csv"
work=$(mktemp -d /tmp/bph-exlab.XXXXXX)
prefix=bphex$$
cleanup() {
	bash "$top/tests/lab/lab.sh" --prefix "$prefix" down "$work/lab" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in dot xmllint /usr/bin/python3 "$bin"; do
	command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
[[ -d $schemas ]] || { echo "missing $schemas" >&2; exit 2; }

LAB_HOSTILE=1 bash "$top/tests/lab/lab.sh" --prefix "$prefix" up "$work/lab"
truth=$work/lab/truth.json
py() { /usr/bin/python3 "$@"; }
nsx() { ip netns exec "$prefix-scan" "$@"; }
seed=$(py -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$truth")
ranges=$(py -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["ranges"]))' "$truth")
ports=$(py -c 'import json,sys; t=json.load(open(sys.argv[1])); print(",".join(str(p) for p in sorted({p for h in t["hosts"] for p in h["open_ports"]})))' "$truth")
strings_ip=$(py -c 'import json,sys; print([h["ip"] for h in json.load(open(sys.argv[1]))["hosts"] if "strings" in h.get("hostile", {}).values()][0])' "$truth")

mkdir -p "$work/exp/art"
exports=()
for f in $formats; do
	exports+=(--export "$f:$work/exp/art/export.$f")
done
nsx timeout -s INT 300 "$bin" pivot "$seed" --ranges "$ranges" -p "$ports" \
	--allow-reserved --db "$work/scan.db" -o "$work/scan.jsonl" \
	--artifact-nodes "${exports[@]}" >"$work/pivot.txt"
for f in $formats; do
	nsx "$bin" export --format "$f" --db "$work/scan.db" -o "$work/exp/export.$f"
done

# The title as the scan recorded it (valid UTF-8 in JSON Lines).
title=$(py - "$work/scan.jsonl" "$strings_ip" <<'EOF'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    t = (r.get("http") or {}).get("title")
    if r["ip"] == sys.argv[2] and t:
        print(t, end="")
        break
EOF
)
[[ -n $title ]] || { echo "FAIL no title recorded for $strings_ip" >&2; exit 1; }
case $title in
*"<script>"*) ;;
*) echo "FAIL title of $strings_ip lost its markup: $title" >&2; exit 1 ;;
esac

# The title belongs to the hostile host itself in the JSON exports.
py - "$work/exp" "$strings_ip" "$title" <<'EOF'
import json, os, sys
d, ip, title = sys.argv[1:]
for sub in ("", "art"):
    j = json.load(open(os.path.join(d, sub, "export.json"), encoding="utf-8"))
    host = [h for h in j["hosts"] if h["ip"] == ip]
    assert host and title in host[0]["titles"], (sub, host)
    if sub:
        arts = [a for a in j["artifacts"] if a["kind"] == "title" and a["value"] == title]
        assert arts and ip in arts[0]["hosts"], arts
print("ok   json: the hostile title is on %s (and its artifact node)" % ip)
EOF

py "$top/tests/integration/check_exports.py" "$work/exp" "$schemas" \
	--expect-title "$title"
