#!/bin/bash
# A PostgreSQL store (issue 13, item 6; run as root): a throwaway server
# from Debian's postgresql package (lib/pg.sh: initdb and pg_ctl as an
# unprivileged user, a Unix socket in this test's directory, no TCP)
# against the same data in SQLite:
#   - an import gives the same clusters, byte for byte, as on SQLite; the
#     same file again adds nothing;
#   - after more imports (later records of the same hosts among them),
#     every merged row (services, hosts, artifacts and holder counts,
#     art_hosts, host_arts) is the same on both stores;
#   - a writer killed with SIGKILL leaves the store consistent and a re-run
#     completes it with no duplicate;
#   - four shards of one scan written at once hold exactly the records of
#     one unsharded scan, while cluster, show and export read the store;
#   - a refused connection, a password in the URI, and a server stopped in
#     the middle of a scan are exit 2 with a clear message, and the stopped
#     scan left nothing half-written.
#
#   bphpg-scan (198.18.214.2) -- bphpg-rtr -- bphpg-tgt (.66)
set -euo pipefail

BUILD=${BPH_BUILD:-${1:-$(dirname "$0")/../../build}}
BPH=$BUILD/bphound
P=bphpg$$ NET=214
. "$(dirname "$0")/lib/netns3.sh"
. "$(dirname "$0")/lib/pg.sh"
WORK=$(mktemp -d /tmp/bphpg.XXXXXX)
cleanup() {
	pg_down
	netns3_cleanup
}
trap cleanup EXIT INT TERM

[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
[ -x "$BPH" ] || { echo "build $BPH first" >&2; exit 1; }
fail() { echo "FAIL: $*" >&2; exit 1; }
chmod 0755 "$WORK" # the server's user reaches its directory
if ! pg_up "$WORK/pg"; then
	echo "SKIP store_pg: no PostgreSQL server (tests/install-deps.sh installs postgresql)"
	exit 0
fi
U=$PG_URI

records() { # FILE N BASE [LATER [TITLES]]: as store_survives.sh;
	# LATER seconds added to every seen, TITLES distinct titles (4000)
	/usr/bin/python3 - "$@" <<'EOF'
import json, sys
path, n, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
later = int(sys.argv[4]) if len(sys.argv) > 4 else 0
titles = int(sys.argv[5]) if len(sys.argv) > 5 else 4000
# what a PostgreSQL array literal must quote (graph_seed.c's batched reads)
odd = ['q"uote', 'back\\slash', '{brace,comma}', 'NULL', ' lead', '']
with open(path, "w") as f:
    for i in range(n):
        ip = "10.%d.%d.%d" % (base + i // 65536, (i // 256) % 256, i % 256)
        f.write(json.dumps({"ip": ip, "port": 22, "state": "open",
            "seen": 1795000000 + later + i,
            "ssh": {"hassh_server": "%032x" % (i % 13),
                    "hostkeys": [{"type": "ssh-ed25519",
                                  "sha256": "SHA256:k%d" % (i % 500)}]},
            "http": {"title": odd[i % titles] if i % titles < len(odd)
                     else "t%d" % (i % titles)}}) + "\n")
EOF
}
# Every merged row, without the ids each store numbers its own way:
# services, hosts, artifacts with their holder counts, art_hosts and
# host_arts (first and last seen). PostgreSQL merges a batch with SQL
# (COPY, staging tables), SQLite row by row in C; both must keep these.
ROWS="SELECT 'svc', ip, port, state, seen, hash, record FROM services;
SELECT 'host', ip FROM hosts;
SELECT 'art', kind, value, holders FROM arts;
SELECT 'ah', a.kind, a.value, h.ip FROM art_hosts h JOIN arts a ON a.id = h.art;
SELECT 'ha', h.ip, a.kind, a.value, h.port, h.first_seen, h.last_seen
 FROM host_arts h JOIN arts a ON a.id = h.art;"
same_rows() { # SQLITE_DB: the PostgreSQL store holds its rows
	pg_sql "$ROWS" | LC_ALL=C sort >"$WORK/rows.pg"
	sqlite3 -separator '|' "$1" "$ROWS" | LC_ALL=C sort >"$WORK/rows.sq"
	[ "$(grep -c '^ha|' "$WORK/rows.sq")" -gt 0 ] || fail "no host_arts rows in $1"
	cmp -s "$WORK/rows.pg" "$WORK/rows.sq" || {
		diff "$WORK/rows.pg" "$WORK/rows.sq" | head -n 8 >&2
		return 1
	}
}
consistent() { # the holder counts agree with the pairs, every pair's host answered
	[ "$(pg_sql "SELECT (SELECT coalesce(sum(holders), 0) FROM arts) = (SELECT count(*) FROM art_hosts)")" = t ] &&
		[ "$(pg_sql "SELECT count(*) FROM art_hosts h WHERE NOT EXISTS (SELECT 1 FROM hosts o WHERE o.ip = h.ip)")" = 0 ]
}

echo "== refused connections and passwords: exit 2"
set +e
"$BPH" show 10.1.0.1 --db "postgresql:///bph?host=$WORK/nowhere&user=bph" 2>"$WORK/e1"; r1=$?
"$BPH" import /dev/null --db "postgresql://bph:secret@/bph?host=$PG_DIR" 2>"$WORK/e2"; r2=$?
set -e
[ $r1 = 2 ] && grep -q "connection\|No such file" "$WORK/e1" || fail "refused: $r1 $(cat "$WORK/e1")"
[ $r2 = 2 ] && grep -q "pgpass" "$WORK/e2" || fail "password: $r2 $(cat "$WORK/e2")"
! grep -q secret "$WORK/e2" || fail "the password was printed"

echo "== an import: the same clusters as on SQLite"
N=12000
records "$WORK/a.jsonl" $N 1
"$BPH" import "$WORK/a.jsonl" --db "$U" -q
"$BPH" import "$WORK/a.jsonl" --db "$WORK/a.db" -q
"$BPH" cluster --db "$U" --json >"$WORK/pg.json"
"$BPH" cluster --db "$WORK/a.db" --json >"$WORK/sq.json"
cmp -s "$WORK/pg.json" "$WORK/sq.json" || fail "cluster --json differs between PostgreSQL and SQLite"
# the same but for the time each import started
"$BPH" show 10.1.0.7 --db "$U" | grep -v '^scan 1 (import' >"$WORK/pg.show"
"$BPH" show 10.1.0.7 --db "$WORK/a.db" | grep -v '^scan 1 (import' >"$WORK/sq.show"
cmp -s "$WORK/pg.show" "$WORK/sq.show" || fail "show differs"
# every member's records read back one host after another (one prepared
# query, reset between hosts)
"$BPH" export --format zeek-intel --db "$U" -o "$WORK/pg.intel" -q
"$BPH" export --format zeek-intel --db "$WORK/a.db" -o "$WORK/sq.intel" -q
cmp -s "$WORK/pg.intel" "$WORK/sq.intel" || fail "zeek-intel differs"
grep -q 'Intel::ADDR' "$WORK/pg.intel" || fail "zeek-intel without addresses"
"$BPH" import "$WORK/a.jsonl" --db "$U" 2>"$WORK/again"
grep -q "(0 new, $N already" "$WORK/again" || fail "again: $(cat "$WORK/again")"
consistent || fail "inconsistent after imports"

echo "== SIGKILL of a writer, then a re-run"
records "$WORK/b.jsonl" $((N * 2)) 3
for i in 1 2; do
	"$BPH" import "$WORK/b.jsonl" --db "$U" -q & pb=$!
	sleep "0.$((RANDOM % 9 + 1))"
	kill -9 $pb 2>/dev/null || true
	wait $pb 2>/dev/null || true
	consistent || fail "inconsistent after kill $i"
done
"$BPH" import "$WORK/b.jsonl" --db "$U" -q || fail "re-run"
[ "$(pg_sql "SELECT count(*) FROM services")" = $((3 * N)) ] ||
	fail "services after kills: $(pg_sql "SELECT count(*) FROM services")"
consistent || fail "inconsistent after the re-run"

echo "== the same rows as SQLite, also when later records merge"
# half of b's hosts again a day later with other titles: new observations,
# first and last seen apart, artifacts gained and others kept
records "$WORK/c.jsonl" $((N / 2)) 3 86400 97
for f in b c; do "$BPH" import "$WORK/$f.jsonl" --db "$WORK/a.db" -q; done
"$BPH" import "$WORK/c.jsonl" --db "$U" -q
same_rows "$WORK/a.db" || fail "PostgreSQL and SQLite merged the same imports into different rows"
consistent || fail "inconsistent after the later records"
echo "$(wc -l <"$WORK/rows.pg") rows the same on both stores"

echo "== four shards at once equal one unsharded scan"
netns3_up
RANGE=198.19.100.0/22
ip -n "$RTR" route add $RANGE via "198.18.$NET.66"
OPEN="198.19.100.7:22 198.19.101.10:80 198.19.101.11:80 198.19.102.99:443
198.19.103.1:22 198.19.103.1:443 198.19.103.200:8080"
for a in $(tr ' ' '\n' <<<"$OPEN" | cut -d: -f1 | sort -u); do
	ip -n "$TGT" addr add "$a/32" dev lo
done
nsx "$TGT" /usr/bin/python3 -c '
import socket, select, sys
socks = []
for item in sys.argv[1:]:
    a, p = item.split(":")
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, int(p))); s.listen(64); socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        c, _ = s.accept(); c.close()' $OPEN &
PIDS+=($!)
for i in $(seq 50); do [ "$(nsx "$TGT" ss -Hltn | wc -l)" -ge 7 ] && break; sleep 0.1; done
SCANOPT=(-p 22,80,443,8080 --allow-reserved --no-probes --retries 1 --wait 500 --rate 4000 --seed 7 -q)
shards=()
for i in 0 1 2 3; do
	nsx "$SCAN" "$BPH" scan $RANGE "${SCANOPT[@]}" --shard "$i/4" --db "$U" & shards+=($!)
done
reads=0
while kill -0 "${shards[@]}" 2>/dev/null; do
	"$BPH" cluster --db "$U" >/dev/null || fail "cluster during the shards"
	"$BPH" show 10.1.0.7 --db "$U" >/dev/null || fail "show during the shards"
	"$BPH" export --format csv -o "$WORK/during.csv" --db "$U" || fail "export during the shards"
	reads=$((reads + 1))
done
for p in "${shards[@]}"; do wait "$p" || fail "a shard failed"; done
echo "$reads rounds of cluster, show and export while the shards wrote"
[ $reads -ge 1 ] || fail "the shards ended before any read"
nsx "$SCAN" "$BPH" scan $RANGE "${SCANOPT[@]}" --db "$WORK/one.db"
pairs='ip, port, state'
pg_sql "SELECT $pairs FROM services s JOIN scans c ON c.id = s.scan_id WHERE c.kind = 'scan' ORDER BY 1, 2, 3" >"$WORK/sharded"
sqlite3 "$WORK/one.db" "SELECT $pairs FROM services ORDER BY 1, 2, 3" >"$WORK/unsharded"
[ -s "$WORK/unsharded" ] || fail "the unsharded scan found nothing"
cmp -s "$WORK/sharded" "$WORK/unsharded" || { diff "$WORK/sharded" "$WORK/unsharded" | head; fail "shards differ from one scan"; }
[ "$(grep -c '|open$' "$WORK/sharded")" = 7 ] || fail "open services: $(grep -c '|open$' "$WORK/sharded")"
[ "$(pg_sql "SELECT count(*) FROM scans WHERE kind = 'scan' AND finished IS NOT NULL")" = 4 ] || fail "shard scans"

echo "== the server stopped in the middle of a scan"
before=$(pg_sql "SELECT count(*) FROM services")
set +e
nsx "$SCAN" "$BPH" scan $RANGE -p 22,80,443,8080 --allow-reserved --no-probes \
	--retries 1 --wait 500 --rate 1500 --db "$U" -q 2>"$WORK/e3" & ps=$!
sleep 3
pg_stop
wait $ps; r3=$?
set -e
pg_start
[ $r3 = 2 ] || fail "server stopped: status $r3 $(cat "$WORK/e3")"
grep -qi "connection\|terminat\|server" "$WORK/e3" || fail "server stopped: $(cat "$WORK/e3")"
[ "$(pg_sql "SELECT count(*) FROM services")" = "$before" ] || fail "half a scan was written"
consistent || fail "inconsistent after the server stopped"
echo "server stopped: exit 2 ($(tail -n 1 "$WORK/e3")); nothing written"
echo PASS
