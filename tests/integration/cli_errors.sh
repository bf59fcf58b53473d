#!/usr/bin/env bash
# Bad usage and bad input: a clear message and exit status 2, before any
# packet is sent. Every target below is either malformed or reserved, so
# nothing here can reach the network even if a check regressed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BPH_BUILD:-$top/build}/bphound
work=$(mktemp -d /tmp/bph-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
expect() { # expect STATUS PATTERN ARGS...: exit status and stderr text
	local want=$1 pattern=$2
	shift 2
	local got
	"$bin" "$@" >"$work/out" 2>"$work/err"
	got=$?
	if [ "$got" != "$want" ] || ! grep -qE -- "$pattern" "$work/err" "$work/out"; then
		echo "FAIL: bphound $* -> status $got (want $want), output:"
		sed 's/^/    /' "$work/err" "$work/out"
		fails=$((fails + 1))
	else
		echo "ok: bphound $* -> $got: $(head -n1 "$work/err")"
	fi
}
printf '198.18.0.1\n# comment\n198.18.0.0/33\n' >"$work/targets.txt"
printf 'hosts:\n  - [unclosed\n' >"$work/bad.yaml"
db=$work/x.db

expect 2 usage
expect 2 "unknown command" frob
expect 2 "no targets" scan -p 80 --db "$db"
expect 2 "PORTS is required" scan 198.18.0.1 --db "$db"
expect 2 "above 65535" scan 198.18.0.1 -p 70000 --db "$db" --allow-reserved
expect 2 "column" scan 198.18.0.1 -p 80,abc --db "$db" --allow-reserved
expect 2 "octet" scan 198.18.0.256 -p 80 --db "$db"
expect 2 "prefix" scan 198.18.0.0/40 -p 80 --db "$db"
expect 2 "no targets left" scan 10.0.0.0/8 -p 80 --db "$db"
expect 2 "no targets left" scan 127.0.0.1 -p 80 --db "$db"
# issue 9 defect 5: a target that routes to this machine is refused, not
# scanned out of lo (both only ever reach loopback)
expect 2 "route to this machine itself.*the first 127\.0\.0\.1" scan 127.0.0.1 -p 80 --allow-reserved --db "$db"
expect 2 "lo \(this machine: refused\): 1 addresses" scan 127.0.0.1 -p 80 --allow-reserved --dry-run --db "$db"
expect 2 "no targets left" pivot 198.18.10.10 --db "$db"
expect 2 "targets.txt:3:" scan "$work/targets.txt" -p 80 --db "$db" --allow-reserved
expect 2 "not a non-negative integer" scan 198.18.0.1 -p 80 --rate fast --db "$db"
expect 2 "out of range" scan 198.18.0.1 -p 80 --retries 99 --db "$db"
expect 2 "I < N" scan 198.18.0.1 -p 80 --shard 2/2 --db "$db"
expect 2 "unknown option" scan 198.18.0.1 -p 80 --frobnicate
expect 2 "not an IPv4" pivot seed.example --db "$db"
expect 2 "FORMAT:FILE" pivot 198.18.10.10 --export graphml --db "$db"
expect 2 "unknown format" pivot 198.18.10.10 --export xml:x --db "$db"
expect 2 "unknown format" export --format xml -o "$work/x" --db "$db"
expect 2 "required" export --db "$db"
expect 2 "No such file" import "$work/missing.jsonl" --db "$db"
# issue 9 defect 3: an import of pure garbage, or of JSON without one
# record, is refused (it exited 0)
printf '\001\002garbage\n' >"$work/garbage"
printf '{"a":1}\n{nope\n' >"$work/norecord.jsonl"
expect 2 "not a format bphound imports" import "$work/garbage" --db "$db"
expect 2 "no record in it could be read" import "$work/norecord.jsonl" --db "$db"
expect 2 "not an IPv4" show nothost --db "$db"
expect 2 "bad.yaml:[0-9]+:[0-9]+" cluster --db "$db" --common "$work/bad.yaml"
expect 2 "not a positive number" cluster --db "$db" --threshold -1
expect 2 "three positive host counts" cluster --db "$db" --max-share 50,20
expect 2 "not a family" cluster --db "$db" --families hostkey,astrology
expect 2 "needs a SEED" cluster --db "$db" --explain 198.18.0.1
expect 2 "unexpected argument" cluster 198.18.0.1 198.18.0.2 --db "$db"
expect 2 "not an answering host" cluster 198.18.0.1 --db "$db"
expect 2 "unknown format" cluster 198.18.0.1 --db "$db" --export xml:x
expect 2 "not a method" cluster --db "$db" --communities kmeans
expect 2 "not a method" pivot 198.18.10.10 --db "$db" --communities Louvain
# clustering options are checked before a pivot sends anything
expect 2 "not a positive number" pivot 198.18.10.10 --db "$db" --threshold -1
expect 2 "bad.yaml:[0-9]+:[0-9]+" pivot 198.18.10.10 --db "$db" --common "$work/bad.yaml"
expect 2 "not a family" pivot 198.18.10.10 --db "$db" --families x509,astrology
expect 2 "three positive host counts" pivot 198.18.10.10 --db "$db" --max-share 1,2,x
expect 2 "no unfinished scan" scan --resume --db "$db"
expect 2 "no unfinished scan" pivot --resume --db "$db"
expect 2 "give only --db" pivot --resume 198.18.10.10 --db "$db"
expect 2 "give only --db" pivot --resume --ranges 198.18.0.0/24 --db "$db"
expect 2 "at least 2" cluster --db "$db" --communities louvain --community-min 1
expect 2 "at least 2" cluster --db "$db" --communities leiden --community-min 5x
expect 2 "at least 2" cluster --db "$db" --communities leiden --community-min -3
expect 2 "not a positive number" cluster --db "$db" --communities leiden --resolution 0
expect 2 "not a positive number" cluster --db "$db" --communities louvain --resolution nan
expect 2 "not a positive number" cluster --db "$db" --communities louvain --resolution inf
expect 2 "needs --communities" cluster --db "$db" --resolution 2
expect 2 "needs --communities" export --format json -o "$work/x.json" --db "$db" --community-min 10
# an option another command takes, stray arguments, unwritable outputs
expect 2 "does not apply to import" import "$work/targets.txt" --rate 5 --db "$db"
expect 2 "does not apply to show" show 198.18.0.1 --format json --db "$db"
expect 2 "unexpected argument" export 198.18.0.1 stray --format json -o "$work/x.json" --db "$db"
expect 2 "not an answering host" export 198.18.0.9 --format html -o "$work/x.html" --db "$db"
expect 2 "cannot write" export --format json -o "$work/no/such/dir/x.json" --db "$db"
expect 2 "cannot write" cluster --db "$db" --export "json:$work/no/such/dir/x.json"
expect 2 "cannot write" pivot 198.18.10.10 --db "$db" --export "json:$work/no/such/x.json"
expect 2 "unknown command" help frob
expect 2 "bash or zsh" completion fish
# a host the store never saw is a mistake (a typo, another --db)
expect 2 "not in the store" show 198.18.0.9 --db "$db"
# deny lists (cli/deny.c): what to list, where, and the allowlist
printf '198.18.10.0/24\n198.18.10.1/24\n' >"$work/allow.txt"
expect 2 "one of SEED, --cluster ID or --rank-file" export --format nft -o "$work/x.nft" --db "$db"
expect 2 "one of SEED, --cluster ID or --rank-file" export --format nft 198.18.0.1 --cluster 1 -o "$work/x.nft" --db "$db"
expect 2 "for the deny-list formats, not json" export --format json --cluster 1 -o "$work/x.json" --db "$db"
expect 2 "needs -o FILE" export --format denylist --cluster 1 -o - --db "$db"
expect 2 "allow.txt:2:12: .* host bits" export --format denylist --cluster 1 -o "$work/x.txt" --db "$db" --allowlist "$work/allow.txt"
expect 2 "No such file" export --format denylist --cluster 1 -o "$work/x.txt" --db "$db" --allowlist "$work/none.txt"
expect 2 "out of range" export --format denylist --cluster 1 -o "$work/x.txt" --db "$db" --min-prefix 4
expect 2 "out of range" export --format denylist --cluster 1 -o "$work/x.txt" --db "$db" --valid-days 0
expect 2 "a deny list is written by" cluster --db "$db" --export "nft:$work/x.nft"
printf 'rank  unit     score\n   1  AS64500  0.5\n' >"$work/rank.txt"
expect 2 "rank.txt:1:1: no \"unit\" column" export --format nft --rank-file "$work/rank.txt" -o "$work/x.nft" --db "$db"
expect 2 "one of SEED, --cluster ID or --rank-file" export --format nft --cluster 1 --rank-file "$work/rank.txt" -o "$work/x.nft" --db "$db"
# abuse reports (cli/cmd_report.c): what to report, who reports, where
expect 2 "one of SEED or --cluster ID" report --outdir "$work/r" --contact a@b.example --db "$db"
expect 2 "--outdir DIR and --contact EMAIL are needed" report 198.18.0.1 --db "$db"
expect 2 "--to takes provider, upstreams" report 198.18.0.1 --to everyone --dry-run --db "$db"
expect 2 "plain e-mail address" report 198.18.0.1 --contact "me <not an address>" --outdir "$work/r" --db "$db"
expect 2 "plain e-mail address" report 198.18.0.1 --contact "a@b.example, c@d.example" --outdir "$work/r" --db "$db"
expect 2 "--type 'spam' is not one of: bph c2" report 198.18.0.1 --type spam --dry-run --db "$db"
expect 2 "does not apply to report" report 198.18.0.1 --dry-run --format nft --db "$db"

# a write error on stdout is a failure, not success (show > /dev/full)
"$bin" import "$top/tests/fuzz/corpus/fuzz_record_json/seed-lab-line" --db "$db" -q
if "$bin" show 198.18.10.32 --db "$db" >/dev/full 2>"$work/err"; then
	echo "FAIL: show > /dev/full exited 0"
	fails=$((fails + 1))
else
	echo "ok: show > /dev/full -> $?: $(head -n1 "$work/err")"
fi
# with a store that holds hosts: an unknown seed or cluster id
expect 2 "not an answering host" export --format denylist 198.18.0.9 -o "$work/x.txt" --db "$db"
expect 2 "no cluster 99" export --format denylist --cluster 99 -o "$work/x.txt" --db "$db"
expect 2 "not an answering host in the store: '198.18.0.9'" report 198.18.0.9 --dry-run --db "$db"
expect 2 "no cluster 99" report --cluster 99 --dry-run --db "$db"
expect 2 "no recipient found" report 198.18.10.32 --contact a@b.example --outdir "$work/r" --db "$db"

if [ "$fails" -ne 0 ]; then
	echo "cli_errors: $fails failures"
	exit 1
fi
echo "cli_errors: all bad inputs rejected with status 2, write errors with 1"
