# labtest.sh - sourced by the integration tests that bring the lab up
# (tests/lab/lab.sh): their binary, work folder and lab prefix, and the
# cleanup that takes the lab's namespaces down on every exit, also after a
# failure or a signal (INT exits 130, TERM 143, each through the cleanup).
#
# Usage: top=...; . "$top/tests/integration/lib/labtest.sh"; labtest_init NAME PFX
#   sets bin (BPH_BUILD's or build/'s bphound), work (mktemp -d
#   /tmp/bph-NAME.XXXXXX; the lab goes in $work/lab) and prefix (PFX and
#   the shell's pid, so two runs never share a namespace name).
# A test with more to undo defines labtest_more_cleanup, run first.
# KEEP=1 leaves the work folder behind for a look.

labtest_cleanup() {
	if declare -F labtest_more_cleanup >/dev/null; then
		labtest_more_cleanup || true
	fi
	bash "$top/tests/lab/lab.sh" --prefix "$prefix" down "$work/lab" >/dev/null 2>&1 || true
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}

labtest_init() { # name prefix
	bin=${BPH_BUILD:-$top/build}/bphound
	work=$(mktemp -d "/tmp/bph-$1.XXXXXX")
	prefix=$2$$
	trap labtest_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
