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
#   3. takes the page title and the certificate subject the scan recorded
#      for the host whose title and subject are markup, quotes, control
#      characters and invalid UTF-8, and runs check_exports.py on both
#      sets: networkx (GraphML, GEXF, Cytoscape), graphviz (dot -Tsvg,
#      dot -Tjson), xmllint --schema (GEXF 1.2draft XSD), jsonschema (STIX
#      2.1 schemas), python json and csv; every host label equals the JSON
#      export's, cleaned per format, and the hostile title and subject
#      appear, cleaned, on their host (and as artifact nodes in DIR/art/),
#   4. opens the HTML pages (the pivot's --export html, `export --format
#      html` with the hostile host as the seed, and without a seed) in
#      headless Chromium with check_html.py, against the JSON export of the
#      same clustering: one node per member and per linking artifact, the
#      hostile title and subject present as text (escaped as the page
#      escapes) with no element injected, no request but the page itself,
#      no console error, the hostile host's AS from the lab's routing
#      files; the pivot page's screenshot is kept in BPH_LOGDIR
#      (tests/run_all.sh's log folder) or, without it, in /tmp.
# Needs root, the lab's dependencies, /usr/bin/python3 with
# python3-networkx and python3-jsonschema, graphviz, libxml2-utils,
# chromium, chromium-driver, python3-selenium and libjs-d3.
# usage: tests/integration/exports_lab.sh   (BPH_BUILD: build directory)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/schemas.sh"
schemas=$(bph_schemas "$top")
formats="json graphml gexf dot cytoscape stix csv"
. "$top/tests/integration/lib/labtest.sh"
labtest_init exlab bphex

for tool in dot xmllint /usr/bin/python3 /usr/bin/chromium /usr/bin/chromedriver "$bin"; do
	command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
[[ -f /usr/share/javascript/d3/d3.min.js ]] || { echo "missing libjs-d3" >&2; exit 2; }
shots=${BPH_LOGDIR:-$(mktemp -d /tmp/bph-exlab-shots.XXXXXX)}

LAB_HOSTILE=1 bash "$top/tests/lab/lab.sh" --prefix "$prefix" up "$work/lab"
truth=$work/lab/truth.json
py() { /usr/bin/python3 "$@"; }
nsx() { ip netns exec "$prefix-scan" "$@"; }
seed=$(py -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$truth")
ranges=$(py -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["ranges"]))' "$truth")
ports=$(py -c 'import json,sys; t=json.load(open(sys.argv[1])); print(",".join(str(p) for p in sorted({p for h in t["hosts"] for p in h["open_ports"]})))' "$truth")
strings_ip=$(py -c 'import json,sys; print([h["ip"] for h in json.load(open(sys.argv[1]))["hosts"] if "strings" in h.get("hostile", {}).values()][0])' "$truth")

mkdir -p "$work/exp/art" "$work/html"
exports=(--export "html:$work/html/pivot.html")
for f in $formats; do
	exports+=(--export "$f:$work/exp/art/export.$f")
done
nsx timeout -s INT 300 "$bin" pivot "$seed" --ranges "$ranges" -p "$ports" \
	--allow-reserved --db "$work/scan.db" -o "$work/scan.jsonl" \
	--artifact-nodes "${exports[@]}" >"$work/pivot.txt"
for f in $formats; do
	nsx "$bin" export --format "$f" --db "$work/scan.db" -o "$work/exp/export.$f"
done

# A field of the hostile host's record as the scan recorded it (valid
# UTF-8 in JSON Lines): recorded PART FIELD, e.g. recorded http title.
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
for what in title subject; do
	[[ -n ${!what} ]] || { echo "FAIL no $what recorded for $strings_ip" >&2; exit 1; }
done
[[ $title == *"<script>"* ]] ||
	{ echo "FAIL title of $strings_ip lost its markup: $title" >&2; exit 1; }
# RFC 2253 escapes the subject's markup and quotes with backslashes, which
# the exports must keep (dot and csv escape them in turn)
[[ $subject == *'\<script\>'* ]] ||
	{ echo "FAIL subject of $strings_ip lost its markup: $subject" >&2; exit 1; }

# The title and subject belong to the hostile host itself in the JSON
# exports.
py - "$work/exp" "$strings_ip" "$title" "$subject" <<'EOF'
import json, os, sys
d, ip, title, subject = sys.argv[1:]
for sub in ("", "art"):
    j = json.load(open(os.path.join(d, sub, "export.json"), encoding="utf-8"))
    host = [h for h in j["hosts"] if h["ip"] == ip]
    assert host and title in host[0]["titles"], (sub, host)
    assert subject in host[0]["cert_subjects"], (sub, host)
    if sub:
        for kind, value in (("title", title), ("cert_subject", subject)):
            arts = [a for a in j["artifacts"] if a["kind"] == kind and a["value"] == value]
            assert arts and ip in arts[0]["hosts"], (kind, arts)
print("ok   json: the hostile title and subject are on %s (and their artifact nodes)" % ip)
EOF

py "$top/tests/integration/check_exports.py" "$work/exp" "$schemas" \
	--expect-title "$title" --expect-subject "$subject"

# The HTML pages in a real browser. The hostile host's page comes from a
# copy of the store with the lab's routing and registry files
# (tests/data/ranges/lab), so its panel must also show its AS (64500).
cp "$work/scan.db" "$work/html/net.db"
for f in "$top"/tests/data/ranges/lab/*; do
	[[ ${f##*/} == README ]] || "$bin" data import "$f" --db "$work/html/net.db" -q
done
"$bin" export --format html "$strings_ip" --db "$work/html/net.db" -o "$work/html/hostile.html"
"$bin" export --format json "$strings_ip" --db "$work/html/net.db" -o "$work/html/hostile.json"
"$bin" export --format html --db "$work/scan.db" -o "$work/html/all.html"
py "$top/tests/integration/check_html.py" --screenshot "$shots/exports_lab.png" \
	--page "$work/html/pivot.html" "$work/exp/art/export.json" "$seed" \
	--page "$work/html/hostile.html" "$work/html/hostile.json" "$strings_ip" \
	--page "$work/html/all.html" "$work/exp/export.json" - \
	--expect-text "$title" --expect-text "$subject" --expect-text 64500
