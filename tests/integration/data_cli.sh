#!/usr/bin/env bash
# data import|list|check|expand, asinfo, rank and the network annotations on
# the fixtures of tests/data/ranges/, with independent readers
# (tests/integration/check_data.py: Python's ipaddress and json):
#   (a) check reports malformed lines as file:line and exits 2, --strict too;
#   (b) gzip and bzip2 copies import like the plain files; a --strict import
#       of a file with a bad line stores nothing (one transaction);
#   (c) on a random nested pfx2as and list, every host's routing.prefix,
#       origins and list hits in `cluster --json` equal a brute-force
#       longest match with ipaddress;
#   (d) asinfo (A|B|-1: A provides B), rank --by prefix and data expand
#       equal what the files say;
#   (e) the same on a PostgreSQL store (when the server binaries exist).
# Nothing is scanned: AS targets are expanded with `data expand` and a scan
# over --max-targets is refused before any packet.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BPH_BUILD:-$top/build}/bphound
fx=$top/tests/data/ranges
work=$(mktemp -d /tmp/bph-data.XXXXXX)
chmod 0755 "$work" # the PostgreSQL server runs as another user
py() { /usr/bin/python3 "$top/tests/integration/check_data.py" "$@"; }
. "$top/tests/integration/lib/pg.sh"
cleanup() {
	pg_down
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

expect() { # expect STATUS CMD...: runs CMD, which must exit with STATUS
	local want=$1 rc=0
	shift
	"$@" >"$work/out" 2>"$work/err" || rc=$?
	if [[ $rc -ne $want ]]; then
		echo "FAIL: exit $rc, expected $want: $*" >&2
		cat "$work/out" "$work/err" >&2
		exit 1
	fi
}

# (a) check
expect 0 "$bin" data check "$fx/drop_v6.json"
grep -q "drop, dated 2025-12-06 (metadata), 1 records, 0 malformed" "$work/out"
expect 2 "$bin" data check "$fx/ripe.db.sample"
grep -q "ripe.db.sample:40: rpsl: not an 'attribute: value' line" "$work/err"
expect 2 "$bin" data check --strict "$fx/drop.txt"
grep -q "drop.txt:7: malformed line (--strict)" "$work/err"
expect 2 "$bin" data check "$fx/lab/README"
grep -q "give --kind" "$work/err"
expect 2 "$bin" data import --kind nonsense "$fx/drop.txt" --db "$work/x.db"
echo "check: malformed lines reported as file:line, exit 2"

# (b) import, compressed copies, one transaction
db=$work/data.db
gzip -c "$fx/routeviews-rv2-20261206-1200.pfx2as" >"$work/routeviews-rv2-20261206-1200.pfx2as.gz"
bzip2 -c "$fx/20261201.as-rel2.txt" >"$work/20261201.as-rel2.txt.bz2"
expect 0 "$bin" data import -q --db "$db" \
	"$work/routeviews-rv2-20261206-1200.pfx2as.gz" "$work/20261201.as-rel2.txt.bz2" \
	"$fx/20261001.as-org2info.txt" "$fx/ripe.db.sample" "$fx/drop_v4.json" \
	"$fx/example_level1.netset" "$fx/block.txt" "$fx/plain.txt" "$fx/asndrop.json" \
	"$fx/delegated-ripencc-extended-20261206"
expect 0 "$bin" data list --db "$db"
grep -q "pfx2as    pfx2as               2026-12-06          8 records      1 malformed  v4,v6" "$work/out"
grep -q "asrel     as-rel               2026-12-01          5 records      1 malformed  asn" "$work/out"
grep -q "licence: DShield: CC BY-NC-SA 2.5" "$work/out"
before=$(sqlite3 "$db" "select count(*) from data_snapshots; select count(*) from data_entry")
expect 2 "$bin" data import --strict "$fx/drop.txt" --db "$db"
after=$(sqlite3 "$db" "select count(*) from data_snapshots; select count(*) from data_entry")
[[ "$before" == "$after" ]] || { echo "FAIL: a failed import left rows" >&2; exit 1; }
echo "import: gzip and bzip2 copies loaded; a failed --strict import stored nothing"

# (d) asinfo, rank, expand against the files
expect 0 "$bin" asinfo AS64496 --json --db "$db"
py asinfo "$fx" "$work/out"
expect 0 "$bin" asinfo 64497 --json --db "$db"
py asinfo "$fx" "$work/out"
expect 0 "$bin" rank --by prefix --format jsonl --db "$db"
cp "$work/out" "$work/rank.jsonl"
py rank "$fx" "$work/rank.jsonl"
expect 0 "$bin" data expand AS64497 --db "$db"
py expand "$fx" 64497 "$work/out"
expect 2 "$bin" data expand AS64497 --max-targets 100 --db "$db"
grep -q "more than --max-targets 100: nothing was scanned" "$work/err"
expect 2 "$bin" scan AS64497 -p 80 --max-targets 100 --db "$db"
grep -q "nothing was scanned" "$work/err"
expect 2 "$bin" pivot 198.51.100.1 --ranges AS64497 -p 80 --max-targets 100 --db "$db"
grep -q "the ASes expand to 2 IPv4 prefixes, 1152 addresses" "$work/err"
grep -q "nothing was scanned" "$work/err"
expect 2 "$bin" data expand AS65000 --db "$db"
expect 2 "$bin" pivot 198.51.100.1 --scope-siblings --db "$db"
grep -q "needs --scope asn" "$work/err"
expect 2 "$bin" pivot 198.51.100.1 --scope as --db "$db"
echo "expand: a scan above --max-targets is refused before any packet"

# a netset (FireHOL: IPv4) of a ranking with an IPv6 prefix: the IPv4
# entry alone, the IPv6 one named on stderr; the denylist carries both
printf 'unit\n2001:db8:bad::/48\n203.0.113.0/24\n' >"$work/rank.csv"
for f in denylist netset; do
	expect 0 "$bin" export --format $f --rank-file "$work/rank.csv" --allow-reserved \
		-o "$work/rank.$f" --db "$db"
done
grep -q "netset is IPv4 only: 1 IPv6 entries are not in $work/rank.netset" "$work/err"
/usr/bin/python3 - "$work/rank.netset" "$work/rank.denylist" <<'PY'
import ipaddress, sys
def nets(path):
    return sorted((ipaddress.ip_network(l.split(";")[0].strip()) for l in open(path)
                   if l.strip() and l[0] not in "#;"), key=lambda n: (n.version, n))
assert [str(n) for n in nets(sys.argv[1])] == ["203.0.113.0/24"], nets(sys.argv[1])
assert [str(n) for n in nets(sys.argv[2])] == ["203.0.113.0/24", "2001:db8:bad::/48"], nets(sys.argv[2])
PY
echo "export: a netset keeps the IPv4 entries and names the IPv6 ones it leaves out"

# (c) the longest-prefix match on a random world
py world "$work"
rdb=$work/rand.db
expect 0 "$bin" import "$work/hosts.jsonl" --db "$rdb"
expect 0 "$bin" data import -q "$work/rand-20261206.pfx2as" "$work/rand.netset" --db "$rdb"
expect 0 "$bin" cluster --json --db "$rdb"
py lpm "$work" "$work/out"

# (e) PostgreSQL
if pg_up "$work/pg"; then
	expect 0 "$bin" data import -q --db "$PG_URI" \
		"$fx/routeviews-rv2-20261206-1200.pfx2as" "$fx/20261201.as-rel2.txt" \
		"$fx/20261001.as-org2info.txt" "$fx/ripe.db.sample" "$fx/drop_v4.json" \
		"$fx/example_level1.netset" "$fx/block.txt" "$fx/plain.txt" "$fx/asndrop.json" \
		"$fx/delegated-ripencc-extended-20261206"
	expect 0 "$bin" rank --by prefix --format jsonl --db "$PG_URI"
	cmp "$work/out" "$work/rank.jsonl"
	expect 0 "$bin" asinfo AS64496 --json --db "$PG_URI"
	py asinfo "$fx" "$work/out"
	expect 2 "$bin" data import --strict "$fx/drop.txt" --db "$PG_URI"
	[[ $(pg_sql "select count(*) from data_snapshots") == 10 ]]
	echo "postgresql: the same rank and asinfo; a failed import stored nothing"
else
	echo "SKIP postgresql: no server could be started (see above)"
fi
echo "data_cli: ok"
