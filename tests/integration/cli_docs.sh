#!/usr/bin/env bash
# cli_docs.sh - the man page and the shell completions say what the binary
# accepts: both are generated from cli/cli_opts.c's tables at build time
# (cli/cli_help.c), and this checks the generated files against the
# binary's own --help, renders the page with man and groff's warnings on,
# and drives the bash completion the way bash does (zsh: syntax).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BPH_BUILD:-$top/build}
bin=$build/bphound
page=$build/bphound.1
work=$(mktemp -d /tmp/bph-clidocs.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok: $*"; }
no() { echo "FAIL: $*"; fails=$((fails + 1)); }

for f in "$page" "$build/bphound.bash-completion" "$build/_bphound"; do
	[ -s "$f" ] || { echo "FAIL: $f was not generated (build first)"; exit 1; }
done

# 1. the page renders, and groff has nothing to warn about
warn=$(groff -man -ww -z "$page" 2>&1)
[ -z "$warn" ] && ok "groff -man -ww: no warnings" || no "groff warns: $warn"
MANWIDTH=100 man -l "$page" >"$work/man.txt" 2>"$work/man.err" && [ -s "$work/man.txt" ] &&
	ok "man -l renders $(wc -l <"$work/man.txt") lines" || no "man -l: $(cat "$work/man.err")"
cmp -s "$page" <("$bin" help --man) && ok "the built page is the binary's" ||
	no "build/bphound.1 differs from bphound help --man (stale build?)"

# 2. every command of --help, and every option of each command's --help,
# is in the page's section of that command
commands=$("$bin" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]+ / {print $1}' | grep -v '^help$\|^completion$')
[ -n "$commands" ] || no "no commands in bphound --help"
for c in $commands; do
	sed -n "/^   $c\$/,/^   [a-z]*\$/p" "$work/man.txt" >"$work/sec.txt"
	[ -s "$work/sec.txt" ] || { no "no section for $c in the page"; continue; }
	opts=$("$bin" "$c" --help | grep -oE '^ +(-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+')
	n=0
	for o in $opts; do
		grep -qF -- "$o" "$work/sec.txt" || no "$c $o is in --help but not in the page"
		n=$((n + 1))
	done
	ok "$c: $n options in --help, all in the page"
done
for f in $("$bin" export --help | sed -n 's/^formats: //p'); do
	grep -qw -- "$f" "$work/man.txt" || no "format $f not in the page"
done

# 3. bash completion, driven as bash would
complete_words() { # complete_words WORD...: what TAB offers for the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _bphound; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$build/bphound.bash-completion" "$@"
}
check_completion() { # check_completion WANT WORD...
	local want=$1 got
	shift
	got=$(complete_words "$@" | sort | xargs)
	[ "$got" = "$want" ] && ok "bash: '$*' -> $got" || no "bash: '$*' -> '$got', want '$want'"
}
check_completion "pivot" bphound pi
check_completion "gexf graphml" bphound export --format g
check_completion "--ranges --rate --resolution --resume --retries" bphound pivot --r
check_completion "--db" bphound import --d
check_completion "hostkey" bphound cluster --families hos
# 4. zsh: the script parses
if command -v zsh >/dev/null; then
	zsh -n "$build/_bphound" && ok "zsh -n _bphound" || no "zsh -n _bphound"
else
	no "zsh is not installed (tests/install-deps.sh installs it)"
fi

[ "$fails" -eq 0 ] || { echo "cli_docs: $fails failures"; exit 1; }
echo "cli_docs: the man page and completions match the binary"
