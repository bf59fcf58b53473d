#!/usr/bin/env bash
# The sweep's systemd units and cron fallback (dist/), checked offline:
# `systemd-analyze verify` on the timer and the service (pointed at the
# built binary), `systemd-analyze security --offline=yes` with exposure at
# most 3.0, the drop-in `bphound sweep timer` prints verifies and its
# OnCalendar= passes `systemd-analyze calendar`, and the cron.d file's
# lines step aside under systemd. Needs no running systemd.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BPH_BUILD:-$top/build}/bphound
work=$(mktemp -d /tmp/bph-units.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
die() { echo "sweep_units: FAIL: $*" >&2; exit 1; }
if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP sweep_units: systemd-analyze is not installed (package systemd)"
	exit 0
fi

# The template with an instance, ExecStart= at the built binary.
sed "s|/usr/bin/bphound|$bin|" "$top/dist/systemd/bphound-sweep@.service" \
	>"$work/bphound-sweep@.service"
cp "$top/dist/systemd/bphound-sweep@.timer" "$work/"
ln -s bphound-sweep@.service "$work/bphound-sweep@lab.service"
ln -s bphound-sweep@.timer "$work/bphound-sweep@lab.timer"
cd "$work"
systemd-analyze verify --man=no ./bphound-sweep@lab.service \
	./bphound-sweep@lab.timer || die "systemd-analyze verify"
echo "ok: systemd-analyze verify (service and timer)"

# Exposure on systemd's 0-100 scale (the printed value times ten): at most
# 3.0, and the check itself must be able to fail.
systemd-analyze security --offline=yes --threshold=30 \
	./bphound-sweep@lab.service >"$work/security.txt" ||
	die "exposure above 3.0: $(tail -n 1 "$work/security.txt")"
grep -E "Overall exposure level .*: [0-9.]+" "$work/security.txt"
if systemd-analyze security --offline=yes --threshold=5 \
	./bphound-sweep@lab.service >/dev/null 2>&1; then
	die "the threshold check does not fail below the unit's exposure"
fi
grep -q '^AmbientCapabilities=CAP_NET_RAW$' bphound-sweep@.service &&
	grep -q '^CapabilityBoundingSet=CAP_NET_RAW$' bphound-sweep@.service &&
	grep -q '^StateDirectory=bphound$' bphound-sweep@.service &&
	grep -q '^ProtectSystem=strict$' bphound-sweep@.service &&
	grep -q '^SuccessExitStatus=75$' bphound-sweep@.service &&
	grep -q '^Persistent=true$' bphound-sweep@.timer &&
	grep -q '^RandomizedDelaySec=' bphound-sweep@.timer ||
	die "a required setting is missing"
echo "ok: CAP_NET_RAW only, StateDirectory, ProtectSystem=strict, exit 75 is success, Persistent, RandomizedDelaySec"

# bphound sweep timer: a drop-in that verifies, with a valid calendar.
mkdir -p "$work/xdg/bphound/sweeps"
cat >"$work/xdg/bphound/sweeps/lab.yaml" <<'EOF'
targets: {cidrs: [198.18.10.0/24]}
ports: [22]
schedule: "Mon..Fri *-*-* 03:00:00 UTC"
EOF
XDG_CONFIG_HOME=$work/xdg "$bin" sweep timer lab >"$work/schedule.conf"
cal=$(sed -n 's/^OnCalendar=\(..*\)$/\1/p' "$work/schedule.conf")
[[ "$cal" == "Mon..Fri *-*-* 03:00:00 UTC" ]] || die "drop-in: '$cal'"
systemd-analyze calendar "$cal" >/dev/null || die "calendar '$cal'"
mkdir -p "$work/bphound-sweep@lab.timer.d"
cp "$work/schedule.conf" "$work/bphound-sweep@lab.timer.d/"
systemd-analyze verify --man=no ./bphound-sweep@lab.timer ||
	die "the timer with the drop-in"
echo "ok: sweep timer's drop-in ($cal) verifies"

# A config whose schedule systemd would refuse is refused too (exit 2).
sed -i 's/^schedule:.*/schedule: "Mon *-*-* 25:00"/' "$work/xdg/bphound/sweeps/lab.yaml"
set +e
XDG_CONFIG_HOME=$work/xdg "$bin" sweep timer lab 2>"$work/err"; rc=$?
set -e
[[ $rc == 2 ]] && grep -q 'lab.yaml:3:11: schedule' "$work/err" ||
	die "a bad schedule: exit $rc, $(cat "$work/err")"
! systemd-analyze calendar "Mon *-*-* 25:00" >/dev/null 2>&1 ||
	die "systemd accepts what bphound refuses"
echo "ok: a bad schedule is exit 2 with file:line:column, as systemd refuses it"

# cron.d: every command line steps aside where systemd runs.
crondir=$top/dist/cron.d/bphound
lines=$(grep -Ev '^\s*(#|$|[A-Z]+=)' "$crondir" || true)
[[ -z "$lines" ]] || ! grep -v 'test -d /run/systemd/system ||' <<<"$lines" ||
	die "a cron line runs under systemd too"
grep -q 'test -d /run/systemd/system || bphound sweep run' "$crondir" ||
	die "cron.d lacks the example line"
echo "ok: cron.d steps aside under systemd"
echo "sweep_units: PASS"
