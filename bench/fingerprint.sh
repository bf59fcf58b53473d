#!/usr/bin/env bash
# fingerprint.sh: wall time and coverage of bphound's full fingerprinting
# versus nmap -sV with NSE scripts, on the namespaced lab (tests/lab/lab.sh).
#
#   bench/fingerprint.sh [-R RUNS] [--tools "bphound nmap"] [--targets ranges|hosts]
#                        [--bphound PATH] [--keep DIR] [--note TEXT]
#                        [--idle PCT] [--idle-wait S]
#
# Brings the lab up with prefix "bphfb", then runs bphound and nmap
# alternately (bphound, nmap, bphound, ...), RUNS times each, inside the lab's
# scanner namespace, against the same targets and the same ports (every open
# port of truth.json). --targets ranges (default): both get the lab ranges
# from truth.json; --targets hosts: both get only the hosts with open ports.
# Counts the services each tool fingerprinted (see bench/lib/fp_count.py),
# prints a table, the ratio nmap_time / bphound_time and a markdown table,
# and writes bench/results/fingerprint-<date>.json. The lab is torn down on
# exit, also on failure and Ctrl-C.
set -euo pipefail

PREFIX=bphfb
RUNS=3
TOOLS="bphound nmap"
TARGET_MODE=ranges
BPHOUND=${BPHOUND:-}
KEEP=""
NOTE=${BENCH_NOTE:-}    # free text stored in the results (e.g. which bphound build)
IDLE_PCT=75            # start a run only when the CPUs were >= 75 % idle ...
IDLE_WAIT_S=120        # ... waiting at most this long (then run anyway)
TOOL_TIMEOUT=900
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LAB=$ROOT/tests/lab/lab.sh
PY=/usr/bin/python3
NMAP_SCRIPTS=ssl-cert,ssh-hostkey,http-title,http-favicon

die() { echo "fingerprint.sh: $*" >&2; exit 1; }
log() { echo "fingerprint.sh: $*" >&2; }
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        -R|--runs) RUNS=$2; shift 2 ;;
        --tools) TOOLS=$2; shift 2 ;;
        --targets) TARGET_MODE=$2; shift 2 ;;
        --bphound) BPHOUND=$2; shift 2 ;;
        --keep) KEEP=$2; shift 2 ;;
        --note) NOTE=$2; shift 2 ;;
        --idle) IDLE_PCT=$2; shift 2 ;;
        --idle-wait) IDLE_WAIT_S=$2; shift 2 ;;
        -h|--help) usage ;;
        *) usage ;;
    esac
done
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || die "bad -R"
[[ "$TARGET_MODE" == ranges || "$TARGET_MODE" == hosts ]] || die "bad --targets"
[[ -f "$LAB" ]] || die "no $LAB"

if [[ -z "$BPHOUND" ]]; then
    for c in "$ROOT/build-bench/bphound" "$ROOT/build/bphound"; do
        [[ -x "$c" ]] && { BPHOUND=$c; break; }
    done
fi
RUN_TOOLS=""
for t in $TOOLS; do
    case "$t" in
        bphound) if [[ -n "$BPHOUND" && -x "$BPHOUND" ]]; then RUN_TOOLS+=" $t"; else log "skipping bphound: not built"; fi ;;
        nmap) if command -v nmap >/dev/null; then RUN_TOOLS+=" $t"; else log "skipping nmap: not installed"; fi ;;
        *) die "unknown tool $t" ;;
    esac
done
[[ -n "$RUN_TOOLS" ]] || die "no tool to run"

WORK=$(mktemp -d /tmp/bphfb.XXXXXX)
LABDIR=$WORK/lab
LAB_UP=0
cleanup() {
    local rc=$?
    trap - EXIT INT TERM PIPE
    trap '' PIPE    # a closed stdout/stderr (| head) must not stop the cleanup
    set +e
    if [[ $LAB_UP -eq 1 ]] || ip netns list 2>/dev/null | grep -q "^$PREFIX-"; then
        bash "$LAB" --prefix "$PREFIX" down "$LABDIR" >&2
    fi
    if [[ -n "$KEEP" ]]; then
        mkdir -p "$KEEP" && cp -a "$WORK"/. "$KEEP"/ 2>/dev/null && log "kept run files in $KEEP"
    fi
    rm -rf -- "$WORK"
    if ip netns list 2>/dev/null | grep -q "^$PREFIX-"; then
        echo "fingerprint.sh: WARNING: namespaces left: $(ip netns list | grep "^$PREFIX-" | tr '\n' ' ')" >&2
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

if ip netns list 2>/dev/null | grep -q "^$PREFIX-"; then
    die "a lab with prefix $PREFIX is up already; run: bash $LAB --prefix $PREFIX down DIR"
fi
log "bringing the lab up ($PREFIX)"
LAB_UP=1
bash "$LAB" --prefix "$PREFIX" up "$LABDIR" >&2
TRUTH=$LABDIR/truth.json
[[ -f "$TRUTH" ]] || die "lab up wrote no truth.json"

# Targets and ports from the ground truth.
read -r SCAN_NS PORTS RANGES HOSTIPS NHOSTS NEXPECTED < <($PY - "$TRUTH" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
ports = sorted({p for h in t["hosts"] for p in h.get("open_ports", [])})
hosts = [h["ip"] for h in t["hosts"] if h.get("open_ports")]
print(t["scanner"]["ns"], ",".join(map(str, ports)), ",".join(t["ranges"]),
      ",".join(hosts), len(t["hosts"]), sum(len(h.get("open_ports", [])) for h in t["hosts"]))
EOF
)
case "$TARGET_MODE" in
    ranges) TARGETS=${RANGES//,/ } ;;
    hosts)  TARGETS=${HOSTIPS//,/ } ;;
esac
log "lab up: scanner namespace $SCAN_NS; targets: $TARGETS; ports $PORTS; $NEXPECTED open services"

cmd_bphound() { # rundir
    echo "$BPHOUND scan $TARGETS -p $PORTS --allow-reserved --db $1/bph.db -o $1/out.jsonl"
}
cmd_nmap() { # rundir
    # -n: no reverse DNS (the lab has no resolver; a lookup would only time out,
    # and bphound does none either)
    echo "nmap -n -sS -sV -p $PORTS --script $NMAP_SCRIPTS -oX $1/out.xml $TARGETS"
}

DATE=$(date -u +%Y-%m-%dT%H%M%SZ)
bver=$([[ -n "$BPHOUND" && -x "$BPHOUND" ]] && "$BPHOUND" --version 2>&1 | head -n1 || echo "not built")
nver=$(nmap --version 2>/dev/null | head -n1 || true)
$PY - "$WORK/meta.json" "$DATE" "$RUNS" "$(nproc)" "$(uname -r)" "$bver" "$nver" \
    "$TARGETS" "$PORTS" "$NHOSTS" "$NEXPECTED" "$RUN_TOOLS" "$TARGET_MODE" \
    "ip netns exec $SCAN_NS $(cmd_bphound RUNDIR)" "ip netns exec $SCAN_NS $(cmd_nmap RUNDIR)" "$NOTE" <<'EOF'
import json, sys
(out, date, runs, cpus, kernel, bver, nver, targets, ports, nhosts, nexp, tools,
 mode, cb, cn, note) = sys.argv[1:]
tools = tools.split()
json.dump({"date": date, "note": note, "runs": int(runs), "cpus": int(cpus), "kernel": kernel,
           "versions": {"bphound": bver, "nmap": nver},
           "targets": targets.split(), "target_mode": mode, "ports": ports,
           "lab_hosts": int(nhosts), "expected": int(nexp), "tools": tools,
           "commands": {t: c for t, c in (("bphound", cb), ("nmap", cn)) if t in tools},
           "wall_time": "whole command, from exec to exit, inside the scanner namespace"},
          open(out, "w"), indent=2)
EOF

# wait_idle, idle_pct
. "$HERE/lib/idle.sh"

: >"$WORK/runs.jsonl"
for r in $(seq 1 "$RUNS"); do
    for t in $RUN_TOOLS; do
        d=$WORK/$t-$r
        mkdir -p "$d"
        cmd=$(cmd_$t "$d")
        echo "$cmd" >"$d/cmd"
        sleep 1
        idle=$(wait_idle)
        load=$(cut -d' ' -f1 /proc/loadavg)
        t0=$(date +%s.%N)
        set +e
        ip netns exec "$SCAN_NS" timeout -s INT -k 10 "$TOOL_TIMEOUT" $cmd >"$d/stdout" 2>"$d/stderr"
        rc=$?
        set -e
        t1=$(date +%s.%N)
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        case "$t" in
            bphound) counts=$($PY "$HERE/lib/fp_count.py" bphound "$d/out.jsonl" "$TRUTH") ;;
            nmap)    counts=$($PY "$HERE/lib/fp_count.py" nmap "$d/out.xml" "$TRUTH") ;;
        esac
        $PY -c 'import json,sys; print(json.dumps({"tool": sys.argv[1], "run": int(sys.argv[2]),
            "rc": int(sys.argv[3]), "wall_s": float(sys.argv[4]), "counts": json.loads(sys.argv[5]),
            "load1_before": float(sys.argv[6]), "idle_pct_before": int(sys.argv[7])}))' \
            "$t" "$r" "$rc" "$wall" "$counts" "$load" "$idle" >>"$WORK/runs.jsonl"
        log "$t run $r: rc $rc, wall $wall s, $($PY -c 'import json,sys; c=json.loads(sys.argv[1]); print("open %s, fingerprinted %s (%s of %s expected)" % (c.get("open"), c.get("fingerprinted"), c.get("fingerprinted_expected"), c.get("expected")))' "$counts" 2>/dev/null || echo "$counts")"
        if [[ $rc -ne 0 ]]; then
            log "$t exited $rc; last lines of stderr:"
            tail -n 5 "$d/stderr" >&2
        fi
    done
done

mkdir -p "$HERE/results"
$PY "$HERE/lib/fp_count.py" report "$WORK/runs.jsonl" "$WORK/meta.json" "$HERE/results/fingerprint-$DATE.json"
