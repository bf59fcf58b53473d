#!/usr/bin/env bash
# The pivot's exactness as a test, not a hope (issue 9): two servers each
# holding six addresses (tests/lab/lab.sh, LAB_LIMITED=only), one sshd with
# the default MaxStartups 10:30:100 (provider D, the seed's) and one with
# MaxStartups 3:100:3 (provider C). `bphound pivot` over both blocks, SSH
# only, so that a host whose host keys went missing falls out of its
# cluster, runs RUNS (default 20) times in a row, each into a fresh store.
# Every run must give the lab's clusters exactly, with every SSH service's
# three host keys and no error; the servers' logs must show that they
# dropped connections (the limits were really hit).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${RUNS:-20}
. "$top/tests/integration/lib/labtest.sh"
labtest_init repeat bphrp

LAB_LIMITED=only bash "$top/tests/lab/lab.sh" --prefix "$prefix" up "$work/lab"
truth=$work/lab/truth.json
py() { /usr/bin/python3 "$@"; }
seed=$(py -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$truth")
ranges=$(py -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["ranges"]))' "$truth")

start=$SECONDS
for i in $(seq 1 "$runs"); do
	ip netns exec "$prefix-scan" "$bin" pivot "$seed" --ranges "$ranges" \
		-p 22 --allow-reserved --wait 300 -q --db "$work/run$i.db" \
		-o "$work/run$i.jsonl" --export "json:$work/run$i.json" >/dev/null
	rm -f "$work/run$i.db"*
done
echo "pivot_repeat: $runs pivots in $((SECONDS - start)) s"

py - "$truth" "$work" "$runs" <<'EOF'
import json, sys
truth, work, runs = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
want = sorted(sorted(c) for c in truth["clusters"])
n_ssh = sum(1 for h in truth["hosts"] if 22 in h["open_ports"])
bad, first = 0, None
for i in range(1, runs + 1):
    rep = json.load(open(f"{work}/run{i}.json"))
    got = sorted(sorted(c["hosts"]) for c in rep["clusters"] if len(c["hosts"]) > 1)
    recs = [json.loads(l) for l in open(f"{work}/run{i}.jsonl")]
    ssh = [r for r in recs if r["port"] == 22]
    short = [(r["ip"], (r.get("ssh") or {}).get("error"),
              len((r.get("ssh") or {}).get("hostkeys", []))) for r in ssh
             if len((r.get("ssh") or {}).get("hostkeys", [])) != 3
             or (r.get("ssh") or {}).get("error")]
    if got != want or len(ssh) != n_ssh or short:
        bad += 1
        print(f"run {i}: clusters {got}, {len(ssh)}/{n_ssh} SSH services, "
              f"incomplete {short}")
    first = first or got
print(f"pivot_repeat: {runs - bad} of {runs} runs gave the lab's clusters "
      f"({len(want)} clusters of {[len(c) for c in want]} hosts) with every "
      f"host key")
sys.exit(1 if bad else 0)
EOF
drops_c=$(grep -c "past MaxStartups" "$work"/lab/h25/sshd.log || true)
drops_d=$(grep -c "past MaxStartups" "$work"/lab/h26/sshd.log || true)
echo "pivot_repeat: connections dropped past MaxStartups: $drops_c by C (3:100:3), $drops_d by D (default)"
[ "$drops_c" -gt 0 ] || { echo "FAIL: the 3:100:3 server never dropped a connection"; exit 1; }
