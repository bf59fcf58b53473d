#!/usr/bin/env bash
# abuse_reports.sh - the abuse reports of tests/unit/test_abuse_report.c
# (a clustering shaped like the lab's, looked up in the fixture registry,
# routing and list files of tests/data/abuse/, hostile registry strings
# included) read back by check_report.py: Python's email package, the
# header block byte by byte, csv, and the XARF v4 schemas (BPH_SCHEMAS or
# ../shared/schemas; a SKIP line per report folder without them).
# usage: tests/integration/abuse_reports.sh   (BPH_BUILD: build directory)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BPH_BUILD:-$top/build}
. "$top/tests/lib/schemas.sh"
schemas=$(bph_schemas "$top")
work=$(mktemp -d /tmp/bph-reports.XXXXXX)
trap 'rm -rf "$work"' EXIT
[[ -x $build/test_abuse_report ]] || { echo "build $build/test_abuse_report first" >&2; exit 2; }

BPH_REPORT_DIR=$work BPH_SRCDIR=$top "$build/test_abuse_report" >"$work/unit.log" 2>&1 ||
	{ cat "$work/unit.log"; exit 1; }
/usr/bin/python3 "$top/tests/integration/check_report.py" "$work/alpha" "${schemas:-}" \
	--expect-mailbox abuse@alpha-hosting.example \
	--expect-mailbox abuse@transit-one.example \
	--expect-mailbox noc-abuse@transit-two.example
/usr/bin/python3 "$top/tests/integration/check_report.py" "$work/hostile" "${schemas:-}" --hostile \
	--expect-mailbox abuse@hostile-org.example \
	--expect-mailbox abuse@transit-one.example \
	--expect-mailbox noc-abuse@transit-two.example
