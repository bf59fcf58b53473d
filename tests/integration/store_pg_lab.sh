#!/usr/bin/env bash
# The lab pivot (tests/lab/lab.sh, as pivot_lab.sh runs it) on a
# PostgreSQL store gives the same clusters, links and evidence as on a
# SQLite store (issue 13, item 6). The server is a throwaway one
# (lib/pg.sh); everything is removed on exit. Run as root.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib/labtest.sh"
labtest_init pglab bphpl
chmod 0755 "$work" # the server's user reaches its directory
. "$top/tests/integration/lib/pg.sh"
labtest_more_cleanup() {
	pg_down
}

if ! pg_up "$work/pg"; then
	echo "SKIP store_pg_lab: no PostgreSQL server (tests/install-deps.sh installs postgresql)"
	exit 0
fi
bash "$top/tests/lab/lab.sh" --prefix "$prefix" up "$work/lab"
truth=$work/lab/truth.json
py() { /usr/bin/python3 "$@"; }
seed=$(py -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$truth")
ranges=$(py -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["ranges"]))' "$truth")
ports=$(py -c 'import json,sys; t=json.load(open(sys.argv[1])); print(",".join(str(p) for p in sorted({p for h in t["hosts"] for p in h["open_ports"]})))' "$truth")
nsx() { ip netns exec "$prefix-scan" "$@"; }

for db in "$PG_URI" "$work/pivot.db"; do
	name=sqlite
	[[ $db == postgresql* ]] && name=pg
	nsx "$bin" pivot "$seed" --ranges "$ranges" -p "$ports" --allow-reserved \
		--db "$db" --export "json:$work/$name.json" -q >"$work/$name.txt"
done
py - "$work/pg.json" "$work/sqlite.json" "$truth" <<'EOF'
import json, sys
def shape(path):
    d = json.load(open(path))
    clusters = sorted(sorted(c["hosts"]) for c in d["clusters"])
    links = sorted((min(l["a"], l["b"]), max(l["a"], l["b"]), round(l["score"], 6),
                    tuple(sorted((e["kind"], e["value"]) for e in l["evidence"])))
                   for c in d["clusters"] for l in c["links"])
    return clusters, links
pg, sq = shape(sys.argv[1]), shape(sys.argv[2])
if pg != sq:
    sys.exit("FAIL: the pivot on PostgreSQL differs from the one on SQLite")
if not pg[0]:
    sys.exit("FAIL: no cluster at all")
print("store_pg_lab: %d clusters, %d links, the same on PostgreSQL and SQLite"
      % (len(pg[0]), len(pg[1])))
EOF
