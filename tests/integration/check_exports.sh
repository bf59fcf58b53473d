#!/bin/sh
# check_exports.sh - every export format of a hostile clustering, parsed
# back by independent tools: networkx (GraphML, GEXF, Cytoscape), graphviz
# (dot -Tsvg), xmllint --schema (GEXF 1.2draft XSD), jsonschema (STIX 2.1
# schemas), python csv.
#
# usage: tests/integration/check_exports.sh [BUILD_DIR]
# BUILD_DIR (default: build) holds test_cluster_export, which writes the
# exports when BPH_EXPORT_DIR is set (those with artifact nodes into
# BPH_EXPORT_DIR/art/, those of the clustering given communities into
# BPH_EXPORT_DIR/comm/, those of strings past graphviz's and spreadsheets'
# limits into BPH_EXPORT_DIR/long/). The schemas come from BPH_SCHEMAS or
# ../shared/schemas (tests/lib/schemas.sh); without them the schema
# checks print SKIP and the rest still runs. Needs /usr/bin/python3 with python3-networkx and
# python3-jsonschema, graphviz and libxml2-utils.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-"$repo/build"}
. "$repo/tests/lib/schemas.sh"
schemas=$(bph_schemas "$repo")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir "$out/art" "$out/comm" "$out/long"

for tool in dot xmllint /usr/bin/python3; do
	command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
[ -x "$build/test_cluster_export" ] ||
	{ echo "build $build/test_cluster_export first" >&2; exit 2; }

BPH_EXPORT_DIR="$out" BPH_SRCDIR="$repo" "$build/test_cluster_export" \
	>"$out/test.log" 2>&1 || { cat "$out/test.log" >&2; exit 1; }
for f in json graphml gexf dot cytoscape stix csv; do
	for d in "$out" "$out/comm"; do
		[ -s "$d/export.$f" ] || { echo "no $d/export.$f written" >&2; exit 1; }
	done
done
# the unit test's hostile title and certificate subject (the parts
# before and after its invalid UTF-8), as the store would hold them
exec /usr/bin/python3 "$repo/tests/integration/check_exports.py" "$out" "$schemas" \
	--expect-title "$(printf '\033[31m<b>"t"</b> &lt;')" \
	--expect-subject "$(printf 'CN=<script>alert("s")</script>\\,O=\001\033[31m')" \
	--expect-subject "$(printf '"q" &amp; '\''a'\''\tb\nc')"
