#!/usr/bin/env bash
# package.sh - bphound as a Debian package, the way a user would get it:
#   1. dpkg-buildpackage -b -us -uc on a copy of the tree (debian/);
#   2. lintian reports no error;
#   3. apt installs the .deb; the installed bphound --version answers, its
#      man page renders with man -l, its completion is where bash looks;
#      the sweep's systemd units (verified where they are installed), its
#      user, the cron.d conffile and the sample config (which loads) are in
#      place;
#   4. the installed binary pivots on the lab (tests/lab/lab.sh), finds
#      the seed's provider as the ground truth has it and writes the HTML
#      page from the installed template;
#   5. the package is purged again (also on failure: trap).
# The package must not be installed when the test starts (it would hide
# what the .deb itself brings); a leftover from an earlier run is removed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib/labtest.sh"
labtest_init pkg bphpk
labtest_more_cleanup() {
	dpkg -s bphound >/dev/null 2>&1 && apt-get purge -y -q bphound >/dev/null 2>&1
}
if dpkg -s bphound >/dev/null 2>&1; then
	echo "package: removing an installed bphound first"
	apt-get purge -y -q bphound >/dev/null
fi

# 1. build from the files git tracks (and new ones not ignored), as a
# fresh clone would hold them
mkdir "$work/src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 cp --parents -t "$work/src")
(cd "$work/src" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" \
	dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) ||
	{ tail -n 30 "$work/build.log"; exit 1; }
deb=$(ls "$work"/bphound_*_*.deb)
echo "package: built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

# 2. lintian: no error (warnings are printed for the reader)
# (one run: lintian takes some 15 s; its status is kept past the filter)
lint=0
lintian --fail-on error "$deb" >"$work/lintian.log" 2>&1 || lint=$?
grep -v 'running with root' "$work/lintian.log" || true
[ "$lint" -eq 0 ] || { echo "FAIL: lintian exit $lint" >&2; exit 1; }
echo "package: lintian reports no error"

# 3. install it like a user, then use what it installed
apt-get install -y -q "$deb" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
/usr/bin/bphound --version | grep -q "^bphound " 
echo "package: $(/usr/bin/bphound --version) installed"
MANWIDTH=80 man -l /usr/share/man/man1/bphound.1.gz >"$work/man.txt" 2>"$work/man.err"
grep -q "bulletproof" "$work/man.txt" && [ ! -s "$work/man.err" ]
echo "package: man -l renders $(wc -l <"$work/man.txt") lines"
[ -s /usr/share/bash-completion/completions/bphound ] &&
	[ -s /usr/share/zsh/vendor-completions/_bphound ]
strings /usr/bin/bphound | grep -q '^/usr/share/bphound$' &&
	[ -s /usr/share/bphound/common.yaml ]
echo "package: completions and /usr/share/bphound/common.yaml in place"

# the sweep's units, user, cron fallback and sample config (dist/, docs/)
units=/lib/systemd/system
[ -s "$units/bphound-sweep@.service" ] && [ -s "$units/bphound-sweep@.timer" ]
mkdir "$work/units"
ln -s "$units/bphound-sweep@.service" "$work/units/bphound-sweep@lab.service"
ln -s "$units/bphound-sweep@.timer" "$work/units/bphound-sweep@lab.timer"
(cd "$work/units" && systemd-analyze verify --man=no \
	./bphound-sweep@lab.service ./bphound-sweep@lab.timer)
[ -s /usr/lib/sysusers.d/bphound.conf ] && getent passwd bphound >/dev/null
dpkg-query -W -f='${Conffiles}\n' bphound | grep ' /etc/cron.d/bphound ' >/dev/null
grep -q 'test -d /run/systemd/system || bphound sweep run' /etc/cron.d/bphound
mkdir "$work/sweeps"
zcat -f /usr/share/doc/bphound/examples/provider-x.yaml* \
	>"$work/sweeps/provider-x.yaml"
/usr/bin/bphound sweep show --config "$work/sweeps/provider-x.yaml" |
	grep -E '^name: "?provider-x"?$' >/dev/null
echo "package: sweep units (verified in $units), user bphound, /etc/cron.d/bphound (conffile) and the sample config in place"

# 4. a pivot on the lab with the installed binary
bash "$top/tests/lab/lab.sh" --prefix "$prefix" up "$work/lab" >/dev/null
truth=$work/lab/truth.json
read -r seed ranges peers < <(/usr/bin/python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))
s = t["seed"]
c = [c for c in t["clusters"] if s in c][0]
print(s, ",".join(t["ranges"]), ",".join(sorted(c)))' "$truth")
ip netns exec "$prefix-scan" /usr/bin/bphound pivot "$seed" --ranges "$ranges" \
	-p 22,80,443,2222,8443 --allow-reserved --db "$work/p.db" --json -q \
	--export "html:$work/pivot.html" >"$work/pivot.json"
# the page came from the installed template and Debian's d3
grep -q 'id="bph-data"\|application/json' "$work/pivot.html" &&
	grep -q 'd3' "$work/pivot.html"
echo "package: the installed bphound wrote the pivot's HTML page ($(stat -c %s "$work/pivot.html") bytes)"
got=$(/usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
s = j["seed"]
print(",".join(sorted([c for c in j["clusters"] if s in c["hosts"]][0]["hosts"])))' "$work/pivot.json")
if [ "$got" != "$peers" ]; then
	echo "package: the installed bphound found $got, the truth is $peers"
	exit 1
fi
echo "package: the installed bphound pivots from $seed to $peers"
