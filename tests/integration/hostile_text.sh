#!/usr/bin/env bash
# Text from hostile hosts or files never reaches the terminal raw: the
# import error path and `show` escape C0 (ESC), C1 (the 8-bit CSI U+009B)
# and the direction overrides (U+202E) that bph_print_text
# (fingerprints/text.c) names. No network: a store in a temporary folder.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BPH_BUILD:-$top/build}/bphound
work=$(mktemp -d /tmp/bph-text.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
raw() { # raw FILE: true when FILE holds ESC, a C1 CSI or U+202E raw
	LC_ALL=C grep -qP '\x1b|\xc2\x9b|\xe2\x80\xae' "$1"
}
check() { # check NAME FILE WANT: no raw control, and the escape WANT shown
	if raw "$2" || ! grep -qF -- "$3" "$2"; then
		echo "FAIL: $1:"
		od -c "$2" | head -n 8 | sed 's/^/    /'
		fails=$((fails + 1))
	else
		echo "ok: $1: $(head -c 120 "$2" | tr '\n' ' ')"
	fi
}
printf '{"ip": "1.2.3.4", "port": 80}\n\x1b[2Jjunk\n\xc2\x9b2Jjunk\n' >"$work/bad.jsonl"
"$bin" import "$work/bad.jsonl" --db "$work/x.db" 2>"$work/err" >/dev/null
check "import error echo" "$work/err" '\x1b'
grep -qF '\u009b' "$work/err" || { echo "FAIL: C1 CSI not shown as \\u009b"; fails=$((fails + 1)); }
printf '{"ip": "198.18.0.9", "port": 25, "state": "open", "proto": "banner", "banner": {"text": "220 \\u001b[2J \\u009b31m \\u202eevil"}}\n' >"$work/good.jsonl"
"$bin" import "$work/good.jsonl" --db "$work/x.db" >/dev/null 2>&1
"$bin" show 198.18.0.9 --db "$work/x.db" >"$work/show" 2>&1
check "show banner" "$work/show" '\u202eevil'
[ "$fails" -eq 0 ] && echo "hostile_text: every hostile string escaped" || exit 1
