#!/bin/bash
# import_rate.sh - times `bphound import` as a user runs it, for bphound
# JSON Lines, ZGrab2 and nmap XML, into SQLite and PostgreSQL side by side
# (issue 13; results in docs/performance.md, "Store: import and PostgreSQL").
#
#   sudo bench/import_rate.sh [-n RECORDS] [--other N] [--no-pg] [--keep DIR]
#
# -n       records of the bphound JSONL (default 1,000,000): a heavy-tailed
#          population from bench/gen_population.py (about 1.9 to 2.2 records per
#          host), so artifacts repeat as in real scans;
# --other  records of the ZGrab2 and nmap XML files (default 200,000): the
#          first host of tests/data/import/zgrab_local.ndjson and the one of
#          nmap_local.xml repeated on distinct addresses (every host then
#          shares the fixture's certificate and keys: a light artifact load,
#          but each certificate is still decoded and hashed);
# --distinct-certs  the ZGrab2 file's certificates all differ (a new P-256
#          certificate per host, made with python3-cryptography, same shape
#          as the fixture's): every one is decoded, the worst case of the
#          importer's certificate cache (store/certcache.c);
# --no-pg  SQLite only. Otherwise a throwaway PostgreSQL server
#          (tests/integration/lib/pg.sh, with fsync on as a real server) on a
#          Unix socket, removed on exit.
#
# Each run imports into a new, empty store; the store's file lives in the
# work directory (on disk, not tmpfs). Wall time, CPU time (user + system
# of bphound alone: the PostgreSQL server's work is not in it) and peak RSS
# come from /usr/bin/time, the record count from bphound's own summary
# line. On a shared machine the wall time is the machine's; CPU time says
# what the import itself costs. Nothing
# is sent anywhere. Needs root only for PostgreSQL (the server runs as an
# unprivileged user).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
BPH=${BPHOUND:-$top/build/bphound}
N=1000000 OTHER=200000 PG=1 KEEP="" DISTINCT=0
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=$2; shift 2 ;;
	--other) OTHER=$2; shift 2 ;;
	--no-pg) PG=0; shift ;;
	--distinct-certs) DISTINCT=1; shift ;;
	--keep) KEEP=$2; shift 2 ;;
	--bphound) BPH=$2; shift 2 ;;
	*) echo "usage: $0 [-n RECORDS] [--other N] [--no-pg] [--distinct-certs] [--keep DIR] [--bphound PATH]" >&2; exit 2 ;;
	esac
done
[ -x "$BPH" ] || { echo "build $BPH first" >&2; exit 2; }
W=${KEEP:-$(mktemp -d /tmp/bph-imprate.XXXXXX)}
mkdir -p "$W"
chmod 0755 "$W"
. "$top/tests/integration/lib/pg.sh"
cleanup() {
	pg_down
	[ -n "$KEEP" ] || rm -rf "$W"
}
trap cleanup EXIT INT TERM
log() { echo "import_rate: $*" >&2; }

if [ ! -s "$W/pop.jsonl" ]; then
	hosts=$((N / 2))
	log "generating about $N records ($hosts hosts)"
	/usr/bin/python3 "$top/bench/gen_population.py" --solos $((hosts * 92 / 100)) \
		--providers $((hosts / 500)) --orgs $((hosts / 100)) \
		--cdns $((hosts / 45000 + 4)) --vendors $((hosts / 30000 + 6)) \
		-o "$W/pop.jsonl" -t "$W/truth.json" >&2
fi
if [ ! -s "$W/zgrab.ndjson" ] || [ "$DISTINCT" != "$(cat "$W/distinct" 2>/dev/null)" ]; then
	log "generating $OTHER ZGrab2 and nmap XML records"
	echo "$DISTINCT" >"$W/distinct"
	/usr/bin/python3 - "$top/tests/data/import" "$W" "$OTHER" "$DISTINCT" <<'EOF'
import base64, datetime, json, re, sys
src, out, n, distinct = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
def new_cert(i):  # a self-signed P-256 certificate of its own per host
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "h%d.example" % i)])
    now = datetime.datetime(2026, 1, 1)
    c = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
         .public_key(key.public_key()).serial_number(i + 1)
         .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=365))
         .sign(key, hashes.SHA256()))
    return base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
def set_certs(o, raw):  # every certificate.raw of the record
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "certificate" and isinstance(v, dict) and "raw" in v:
                v["raw"] = raw
            else:
                set_certs(v, raw)
def ip(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
# the fixture's first host (TLS, SSH, HTTPS, FTP); its second one holds a
# deliberately broken certificate, which would make this a test of errors
lines = [json.loads(open(src + "/zgrab_local.ndjson").readline())]
with open(out + "/zgrab.ndjson", "w") as f:
    i = 0
    while i * len(lines) < n:  # a host per line; records counted by bphound
        for l in lines:
            l["ip"] = ip(i * len(lines) + lines.index(l) + 1)
            if distinct:
                set_certs(l, new_cert(i))
            f.write(json.dumps(l) + "\n")
        i += 1
x = open(src + "/nmap_local.xml").read()
head, rest = x.split("<host ", 1)
host = "<host " + rest[:rest.rindex("</host>") + 7] + "\n"
tail = rest[rest.rindex("</host>") + 7:]
ports = host.count("<port ")
with open(out + "/nmap.xml", "w") as f:
    f.write(head)
    for i in range(max(1, n // ports)):
        f.write(re.sub(r'addr="[0-9.]+" addrtype="ipv4"',
                       'addr="%s" addrtype="ipv4"' % ip(i + 1), host))
    f.write(tail)
EOF
fi

PG_URI_B=""
if [ $PG = 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		log "PostgreSQL needs root (the server runs as another user): SQLite only"
	elif PG_FSYNC=on pg_up "$W/pg"; then
		PG_URI_B=$PG_URI
	else
		log "no PostgreSQL server: SQLite only"
	fi
fi

# run FORMAT FILE BACKEND: one import into an empty store; prints a row
run() {
	local fmt=$1 file=$2 be=$3 db st rc=0
	if [ "$be" = sqlite ]; then
		rm -f "$W/s.db" "$W/s.db-wal" "$W/s.db-shm"
		db=$W/s.db
	else
		pg_sql "DROP SCHEMA public CASCADE; CREATE SCHEMA public" >/dev/null 2>&1
		db=$PG_URI_B
	fi
	sync
	/usr/bin/time -f "%e %M %U %S" -o "$W/time" "$BPH" import "$file" --db "$db" \
		2>"$W/err" || rc=$?
	[ $rc = 0 ] || { log "$fmt $be: exit $rc: $(tail -n 2 "$W/err")"; return 0; }
	local recs secs kb us ss
	recs=$(sed -n 's/^bphound: imported \([0-9]*\) records.*/\1/p' "$W/err" | tail -n 1)
	read -r secs kb us ss <"$W/time"
	if [ "$be" = sqlite ]; then
		st=$(du -k "$W"/s.db* | awk '{s += $1} END {print s}')
	else
		st=$(($(pg_sql "SELECT pg_database_size('bph')") / 1024))
	fi
	/usr/bin/python3 -c 'import sys
f, b, r, s, k, st, us, ss = sys.argv[1:]
r, s, c = int(r), float(s), float(us) + float(ss)
print("| %s | %s | %d | %.1f | %d | %.1f | %d | %d | %d |" % (f, b, r, s,
      r / s if s else 0, c, r / c if c else 0, int(k) // 1024,
      int(st) // 1024))' "$fmt" "$be" "${recs:-0}" "$secs" "$kb" "$st" "$us" "$ss"
}

echo "bphound $("$BPH" --version 2>/dev/null | head -n 1); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo
echo "| format | store | records | seconds | records/s | CPU s | records/CPU s | peak RSS MiB | store MiB |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for be in sqlite ${PG_URI_B:+postgresql}; do
	run "bphound JSONL" "$W/pop.jsonl" $be
	run "ZGrab2" "$W/zgrab.ndjson" $be
	run "nmap XML" "$W/nmap.xml" $be
done
echo
echo "load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
