#!/usr/bin/env bash
# syn_rate.sh: SYN sweep rate and recall of bphound, masscan and zmap,
# side by side, on a veth topology this script builds and removes itself.
#
#   bench/syn_rate.sh [-R RUNS] [--tools "bphound masscan zmap"] [--port P]
#                     [--range CIDR] [--rate PPS] [--bphound PATH] [--keep DIR] [--note TEXT]
#                     [--idle PCT] [--idle-wait S]
#
# Topology (prefix "bphsr", all in network namespaces, nothing in the root
# namespace):
#   bphsr-scan  eth0 198.19.0.2/30 --veth-- scan0 198.19.0.1/30  bphsr-rtr
#   bphsr-rtr   br10 198.18.10.1/24, ip_forward=1, nftables: forwards only to
#               the target hosts, drops everything else for 198.18.0.0/15
#   bphsr-hNN   198.18.10.NN/24 on br10; real TCP listeners (python http.server)
# The scanners run inside bphsr-scan; its only route is the router, and the
# router has no uplink, so no packet can leave the machine.
#
# Per run: the router-side veth (scan0) rx_packets counter is sampled every
# 2 ms; the tool's own rate figure is parsed from its output; recall is the
# share of the listening (ip, port) pairs that the tool reported open.
# Tools alternate (bphound, masscan, zmap, bphound, ...), RUNS times each.
# Results: bench/results/syn_rate-<date>.json and a markdown table on stdout.
set -euo pipefail

PREFIX=bphsr
RUNS=3
TOOLS="bphound masscan zmap"
PORT=80
RANGE=198.18.0.0/15
RATE=10000000          # "max": far above what any of them reaches here
TOOL_TIMEOUT=300       # seconds; a run that takes longer is stopped (SIGINT)
WAIT_S=2               # receive wait after the last probe, same for all tools
BPHOUND=${BPHOUND:-}
KEEP=""
NOTE=${BENCH_NOTE:-}    # free text stored in the results (e.g. which bphound build)
IDLE_PCT=75            # start a run only when the CPUs were >= 75 % idle ...
IDLE_WAIT_S=120        # ... waiting at most this long (then run anyway)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PY=/usr/bin/python3

die() { echo "syn_rate.sh: $*" >&2; exit 1; }
log() { echo "syn_rate.sh: $*" >&2; }
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        -R|--runs) RUNS=$2; shift 2 ;;
        --tools) TOOLS=$2; shift 2 ;;
        --port) PORT=$2; shift 2 ;;
        --range) RANGE=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
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
[[ "$PORT" =~ ^[0-9]+$ ]] || die "bad --port"
# The sweep must stay inside the lab's 198.18.0.0/15.
$PY - "$RANGE" <<'EOF' || die "--range must lie inside 198.18.0.0/15"
import ipaddress, sys
n = ipaddress.ip_network(sys.argv[1], strict=True)
sys.exit(0 if n.subnet_of(ipaddress.ip_network("198.18.0.0/15")) else 1)
EOF
NTARGETS=$($PY -c "import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1]).num_addresses)" "$RANGE")

SCAN=$PREFIX-scan
RTR=$PREFIX-rtr
SCAN_IP=198.19.0.2
RTR_IP=198.19.0.1
GW10=198.18.10.1
# host number -> listening ports (port $PORT open on four hosts; .14 listens
# elsewhere, so $PORT is closed there and answers RST)
HOSTS="10 11 12 13 14"
ports_of() { case "$1" in 14) echo 8080 ;; *) echo "$PORT 8080" ;; esac; }

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
our_namespaces() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}-(scan|rtr|h[0-9]+)\$" || true
}

WORK=""
SAMPLER_PID=""
PINGER_PID=""
cleanup() {
    local rc=$? ns pids i
    trap - EXIT INT TERM PIPE
    trap '' PIPE    # a closed stdout/stderr (| head) must not stop the cleanup
    set +e
    [[ -n "$SAMPLER_PID" ]] && kill -TERM "$SAMPLER_PID" 2>/dev/null
    [[ -n "$PINGER_PID" ]] && kill -TERM "$PINGER_PID" 2>/dev/null
    local nss
    nss=$(our_namespaces)
    for ns in $nss; do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [[ -n "$pids" ]] && kill -TERM $pids 2>/dev/null
    done
    for i in $(seq 1 30); do
        pids=""
        for ns in $nss; do pids+=" $(ip netns pids "$ns" 2>/dev/null)"; done
        [[ -z "${pids// /}" ]] && break
        [[ $i -eq 20 ]] && kill -KILL $pids 2>/dev/null
        sleep 0.1
    done
    for ns in $nss; do ip netns del "$ns" 2>/dev/null; done
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if [[ -n "$KEEP" ]]; then
            mkdir -p "$KEEP" && cp -a "$WORK"/. "$KEEP"/ && log "kept run files in $KEEP"
        fi
        rm -rf -- "$WORK"
    fi
    [[ -z "$(our_namespaces)" ]] || echo "syn_rate.sh: WARNING: namespaces left: $(our_namespaces)" >&2
    exit $rc
}

[[ -z "$(our_namespaces)" ]] ||
    die "namespaces with prefix $PREFIX exist already ($(our_namespaces | tr '\n' ' ')); a previous run was killed hard? delete them with: ip netns del NAME"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE
WORK=$(mktemp -d /tmp/bphsr.XXXXXX)

# --- tools -----------------------------------------------------------------
have_tool() {
    case "$1" in
        bphound) [[ -n "$BPHOUND" && -x "$BPHOUND" ]] ;;
        *) command -v "$1" >/dev/null ;;
    esac
}
if [[ -z "$BPHOUND" ]]; then
    for c in "$ROOT/build-bench/bphound" "$ROOT/build/bphound"; do
        [[ -x "$c" ]] && { BPHOUND=$c; break; }
    done
fi
RUN_TOOLS=""
for t in $TOOLS; do
    case "$t" in bphound|masscan|zmap) ;; *) die "unknown tool $t" ;; esac
    if have_tool "$t"; then RUN_TOOLS+=" $t"; else log "skipping $t: not found"; fi
done
[[ -n "$RUN_TOOLS" ]] || die "no tool to run"

# --- topology --------------------------------------------------------------
new_ns() {
    ip netns add "$1"
    nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
    nsx "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
    ip -n "$1" link set lo up
}

log "building topology ($PREFIX-*)"
new_ns "$RTR"
new_ns "$SCAN"
nsx "$RTR" sysctl -qw net.ipv4.ip_forward=1
ip -n "$RTR" link add scan0 type veth peer name eth0 netns "$SCAN"
ip -n "$RTR" addr add "$RTR_IP/30" dev scan0
ip -n "$RTR" link set scan0 up
ip -n "$SCAN" addr add "$SCAN_IP/30" dev eth0
ip -n "$SCAN" link set eth0 up
ip -n "$SCAN" route add default via "$RTR_IP"
ip -n "$RTR" link add br10 type bridge
ip -n "$RTR" addr add "$GW10/24" dev br10
ip -n "$RTR" link set br10 up

TARGET_IPS=""
TRUTH=""
for n in $HOSTS; do
    ns=$PREFIX-h$n ip=198.18.10.$n
    new_ns "$ns"
    ip -n "$RTR" link add "h$n" type veth peer name eth0 netns "$ns"
    ip -n "$RTR" link set "h$n" master br10
    ip -n "$RTR" link set "h$n" up
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$GW10"
    TARGET_IPS+="${TARGET_IPS:+, }$ip"
    mkdir -p "$WORK/www"
    echo "bphsr $ip" >"$WORK/www/index.html"
    for p in $(ports_of "$n"); do
        nsx "$ns" $PY -m http.server --bind "$ip" --directory "$WORK/www" "$p" \
            >"$WORK/h$n-$p.log" 2>&1 &
        [[ "$p" == "$PORT" ]] && TRUTH+=" $ip:$p"
    done
done

# Router filter: forward only to the target hosts; drop the rest of the
# swept range (no ARP for empty addresses, no ICMP back), and drop TCP/UDP
# addressed to the router itself.
nsx "$RTR" nft -f - <<EOF
table inet bphsr {
    set targets { type ipv4_addr; elements = { $TARGET_IPS } }
    chain forward {
        type filter hook forward priority 0; policy accept;
        iifname "scan0" ip daddr != @targets drop
    }
    chain input {
        type filter hook input priority 0; policy accept;
        iifname "lo" accept
        meta l4proto { tcp, udp } drop
    }
}
EOF

# Scanner: drop its own echo replies (see the masscan note below).
nsx "$SCAN" nft -f - <<'EOF'
table inet bphsr_scan {
    chain output {
        type filter hook output priority 0; policy accept;
        icmp type echo-reply drop
    }
}
EOF

# Wait for the listeners.
for t in $TRUTH; do
    ip=${t%:*} p=${t#*:} ok=0
    for i in $(seq 1 100); do
        if nsx "$SCAN" timeout 1 bash -c "exec 3<>/dev/tcp/$ip/$p" 2>/dev/null; then ok=1; break; fi
        sleep 0.1
    done
    [[ $ok -eq 1 ]] || die "listener $ip:$p did not come up"
done
RTR_MAC=$(nsx "$RTR" cat /sys/class/net/scan0/address)
SCAN_MAC=$(nsx "$SCAN" cat /sys/class/net/eth0/address)
log "topology up: scanner $SCAN_IP ($SCAN_MAC) -> router $RTR_IP ($RTR_MAC); open:$TRUTH"

# The scanner's own link (198.19.0.0/30) lies inside the default range:
# every tool is told to skip it (bphound refuses to send to a local
# address, and the others would only probe themselves).
echo "198.19.0.0/30" >"$WORK/blocklist.conf"
echo "$RANGE" >"$WORK/allowlist.conf"

# --- commands ----------------------------------------------------------------
# Each prints the command for the record; $1 = run dir.
cmd_bphound() {
    echo "$BPHOUND scan $RANGE -p $PORT --allow-reserved --exclude $WORK/blocklist.conf --no-probes --rate $RATE --retries 0 --wait $((WAIT_S * 1000)) -o $1/out"
}
cmd_masscan() {
    echo "masscan $RANGE --excludefile $WORK/blocklist.conf -p $PORT --rate $RATE --wait $WAIT_S --retries 0 --adapter eth0 --adapter-ip $SCAN_IP --adapter-mac $SCAN_MAC --router-mac $RTR_MAC -oL $1/out"
}
cmd_zmap() {
    echo "zmap -p $PORT -r 0 -T 1 -c $WAIT_S -i eth0 -S $SCAN_IP -G $RTR_MAC -b $WORK/blocklist.conf -o $1/out $RANGE"
}

versions_json() {
    local b m z
    b=$([[ -n "$BPHOUND" && -x "$BPHOUND" ]] && "$BPHOUND" --version 2>&1 | head -n1 || echo "not built")
    m=$(masscan --version 2>&1 | grep -o 'version [0-9.]*' | head -n1 || true)
    z=$(zmap --version 2>&1 | head -n1 || true)
    $PY -c 'import json,sys; print(json.dumps(dict(bphound=sys.argv[1], masscan=sys.argv[2], zmap=sys.argv[3])))' "$b" "$m" "$z"
}

DATE=$(date -u +%Y-%m-%dT%H%M%SZ)
CPU_MODEL=$(sed -n 's/^model name\s*:\s*//p' /proc/cpuinfo | head -n1)
$PY - "$WORK/meta.json" "$DATE" "$RANGE" "$NTARGETS" "$PORT" "$RUNS" "$(nproc)" \
    "$CPU_MODEL" "$(uname -r)" "$(versions_json)" "$TRUTH" \
    "$(cmd_bphound RUNDIR)" "$(cmd_masscan RUNDIR)" "$(cmd_zmap RUNDIR)" "$RUN_TOOLS" "$NOTE" <<'EOF'
import json, sys
(out, date, rng, n, port, runs, cpus, cpu, kernel, versions, truth,
 cb, cm, cz, tools, note) = sys.argv[1:]
tools = tools.split()
cmds = {"bphound": cb, "masscan": cm, "zmap": cz}
json.dump({
    "date": date, "note": note, "range": rng, "targets": int(n), "port": int(port), "runs": int(runs),
    "cpus": int(cpus), "cpu_model": cpu, "kernel": kernel,
    "versions": json.loads(versions), "truth": truth.split(),
    "tools": tools,
    "commands": {t: "ip netns exec bphsr-scan " + cmds[t] for t in tools},
    "counter": "rx_packets of the router-side veth (bphsr-rtr scan0), sampled every 2 ms; "
               "pps = 90% of the run's packets / time between the 5% and 95% crossings "
               "(linear interpolation); send_s = time between the 1% and 99% crossings",
    "max_rate_notes": {
        "bphound": "--rate is a cap (1..100,000,000); the bench passes a cap far above "
                   "what the sender reaches, so the sender runs as fast as it can",
        "masscan": "--rate is a cap; masscan's throttler batches above ~100 kpps; the bench "
                   "passes a cap far above what it reaches (one transmit thread, libpcap/"
                   "AF_PACKET send path of the Debian build)",
        "zmap": "-r 0 disables zmap 2.1.1's rate limiter (no busy-wait delay); -T 1 "
                "sender thread (the default of 2.1.1; the machine has 2 cores and the "
                "receive thread needs one). Debian's zmap is 2.1.1 (2015): no sendmmsg "
                "batching, one packet per sendto",
    },
}, open(out, "w"), indent=2)
EOF

# wait_idle, idle_pct
. "$HERE/lib/idle.sh"

# --- runs ----------------------------------------------------------------------
: >"$WORK/runs.jsonl"
log "sweeping $RANGE ($NTARGETS addresses) port $PORT; tools:$RUN_TOOLS; $RUNS rounds"
for r in $(seq 1 "$RUNS"); do
    for t in $RUN_TOOLS; do
        d=$WORK/$t-$r
        mkdir -p "$d"
        cp "$WORK/meta.json" "$d/meta.json"
        cmd=$(cmd_$t "$d")
        echo "$cmd" >"$d/cmd"
        # settle: let the previous run's stragglers drain, wait for idle CPUs
        sleep 1
        wait_idle >"$d/idle"
        # (ip netns exec execs the command, so $! is the sampler itself)
        ip netns exec "$RTR" $PY "$HERE/lib/sample_counter.py" scan0 "$d/counter" 0.002 rx_packets rx_dropped &
        SAMPLER_PID=$!
        if [[ $t == masscan ]]; then
            # masscan 1.3.2's receive thread stays blocked in libpcap when no
            # packet arrives, and masscan then never exits ("waiting -N-secs",
            # masscan issues #144, #558). Two echo requests a second from the
            # router wake it up; the scanner namespace drops its echo replies,
            # so the router's rx counter does not see them.
            ip netns exec "$RTR" ping -q -i 0.5 "$SCAN_IP" >/dev/null 2>&1 &
            PINGER_PID=$!
        fi
        sleep 0.3
        cut -d' ' -f1-3 /proc/loadavg >"$d/loadavg"   # other work on the machine shows here
        t0=$(date +%s.%N)
        set +e
        ip netns exec "$SCAN" timeout -s INT -k 10 "$TOOL_TIMEOUT" $cmd >"$d/stdout" 2>"$d/log"
        echo $? >"$d/rc"
        set -e
        t1=$(date +%s.%N)
        if [[ -n "$PINGER_PID" ]]; then kill -TERM "$PINGER_PID"; wait "$PINGER_PID" || true; PINGER_PID=""; fi
        sleep 0.2
        kill -TERM "$SAMPLER_PID"; wait "$SAMPLER_PID" || true
        SAMPLER_PID=""
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }' >"$d/wall"
        # zmap writes results to -o; masscan and bphound too. Keep stdout
        # for zmap's status in case it goes there.
        cat "$d/stdout" >>"$d/log"
        $PY "$HERE/lib/analyze.py" run "$t" "$r" "$d" >>"$WORK/runs.jsonl"
        if [[ $(cat "$d/rc") -ne 0 ]]; then
            log "$t exited $(cat "$d/rc"); last lines of its output:"
            tail -n 5 "$d/log" | tr '\r' '\n' | tail -n 5 >&2
        fi
    done
done

mkdir -p "$HERE/results"
OUT=$HERE/results/syn_rate-$DATE.json
$PY "$HERE/lib/analyze.py" report "$WORK/runs.jsonl" "$WORK/meta.json" "$OUT"
