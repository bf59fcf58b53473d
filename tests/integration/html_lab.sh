#!/usr/bin/env bash
# The HTML page of a real pivot, opened in headless Chromium:
#
#   1. brings the lab up with its hostile hosts (tests/lab/lab.sh,
#      LAB_HOSTILE=1, prefix bphhtml<pid>; torn down on every exit),
#   2. runs `bphound pivot` from the lab's seed inside the scanner
#      namespace with --export html and --export json, then `bphound
#      export --format html|json` with the host whose title and
#      certificate subject are markup, quotes, control characters and
#      invalid UTF-8 as the seed, and without a seed,
#   3. runs check_html.py on each page against the JSON export of the same
#      clustering: one node per member and per linking artifact, the
#      hostile title and subject present as text (escaped as the page
#      escapes) with no element injected, no request but the page itself,
#      no console error; the pivot page's screenshot is kept in BPH_LOGDIR
#      (tests/run_all.sh's log folder) or, without it, in /tmp.
# Needs root, the lab's dependencies, chromium, chromium-driver,
# python3-selenium and libjs-d3 (tests/install-deps.sh).
# usage: tests/integration/html_lab.sh   (BPH_BUILD: build directory)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BPH_BUILD:-$top/build}/bphound
work=$(mktemp -d /tmp/bph-html.XXXXXX)
prefix=bphhtml$$
shots=${BPH_LOGDIR:-$(mktemp -d /tmp/bph-html-shots.XXXXXX)}
cleanup() {
	bash "$top/tests/lab/lab.sh" --prefix "$prefix" down "$work/lab" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in /usr/bin/chromium /usr/bin/chromedriver /usr/bin/python3 "$bin"; do
	command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
[[ -f /usr/share/javascript/d3/d3.min.js ]] || { echo "missing libjs-d3" >&2; exit 2; }

LAB_HOSTILE=1 bash "$top/tests/lab/lab.sh" --prefix "$prefix" up "$work/lab"
truth=$work/lab/truth.json
py() { /usr/bin/python3 "$@"; }
nsx() { ip netns exec "$prefix-scan" "$@"; }
seed=$(py -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$truth")
ranges=$(py -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["ranges"]))' "$truth")
ports=$(py -c 'import json,sys; t=json.load(open(sys.argv[1])); print(",".join(str(p) for p in sorted({p for h in t["hosts"] for p in h["open_ports"]})))' "$truth")
strings_ip=$(py -c 'import json,sys; print([h["ip"] for h in json.load(open(sys.argv[1]))["hosts"] if "strings" in h.get("hostile", {}).values()][0])' "$truth")

nsx timeout -s INT 300 "$bin" pivot "$seed" --ranges "$ranges" -p "$ports" \
	--allow-reserved --db "$work/scan.db" -o "$work/scan.jsonl" \
	--export "html:$work/pivot.html" --export "json:$work/pivot.json" >"$work/pivot.txt"
"$bin" export --format html "$strings_ip" --db "$work/scan.db" -o "$work/hostile.html"
"$bin" export --format json "$strings_ip" --db "$work/scan.db" -o "$work/hostile.json"
"$bin" export --format html --db "$work/scan.db" -o "$work/all.html"
"$bin" export --format json --db "$work/scan.db" -o "$work/all.json"
ls -l "$work"/*.html

# A field of the hostile host's record as the scan recorded it.
recorded() {
	py - "$work/scan.jsonl" "$strings_ip" "$1" "$2" <<'EOF'
import json, sys
path, ip, part, field = sys.argv[1:]
for line in open(path, encoding="utf-8"):
    r = json.loads(line)
    t = (r.get(part) or {}).get(field)
    if r["ip"] == ip and t:
        print(t, end="")
        break
EOF
}
title=$(recorded http title)
subject=$(recorded tls subject)
[[ $title == *"<script>"* && $subject == *'\<script\>'* ]] ||
	{ echo "FAIL the hostile host's title or subject lost its markup: $title / $subject" >&2; exit 1; }

py "$top/tests/integration/check_html.py" --screenshot "$shots/html_lab.png" \
	--page "$work/pivot.html" "$work/pivot.json" "$seed" \
	--page "$work/hostile.html" "$work/hostile.json" "$strings_ip" \
	--page "$work/all.html" "$work/all.json" - \
	--expect-text "$title" --expect-text "$subject"
echo "html_lab: every page renders, hostile strings stay text"
