#!/usr/bin/env bash
# install-deps.sh: install (as root, with apt-get) whatever bphound's build,
# tests, lab and benchmarks need and is not installed yet. Idempotent.
#
# Services are never started: a policy-rc.d that denies every start is in
# place during the install and removed afterwards (also on failure).
#
# Usage: sudo tests/install-deps.sh [--dry-run]
set -euo pipefail

# The packages, one file per area in tests/deps/*.list (a file of its own
# per area keeps parallel work from colliding in one list; # starts a
# comment).
here=$(cd "$(dirname "$0")" && pwd)
BPH_PACKAGES=$(cat "$here"/deps/*.list | sed 's/#.*//' | xargs)

dry_run=0
[[ "${1:-}" == "--dry-run" ]] && dry_run=1

if [[ $(id -u) -ne 0 && $dry_run -eq 0 ]]; then
    echo "install-deps.sh: must run as root" >&2
    exit 1
fi

missing=()
for pkg in $BPH_PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps.sh: nothing to do, all packages are installed"
    exit 0
fi

echo "install-deps.sh: missing: ${missing[*]}"
if [[ $dry_run -eq 1 ]]; then
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive

# tshark asks whether non-root users may capture: answer "no" in advance.
echo "wireshark-common wireshark-common/install-setuid boolean false" \
    | debconf-set-selections

# Deny every service start while packages are installed.
policy=/usr/sbin/policy-rc.d
policy_backup=""
cleanup() {
    rm -f "$policy"
    if [[ -n "$policy_backup" && -f "$policy_backup" ]]; then
        mv -f "$policy_backup" "$policy"
    fi
}
trap cleanup EXIT INT TERM
if [[ -e "$policy" ]]; then
    policy_backup=$(mktemp /usr/sbin/policy-rc.d.bph.XXXXXX)
    cp -p "$policy" "$policy_backup"
fi
printf '#!/bin/sh\n# installed by bphound tests/install-deps.sh\nexit 101\n' >"$policy"
chmod 0755 "$policy"

apt-get update
apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"

echo "install-deps.sh: installed ${#missing[@]} package(s)"
