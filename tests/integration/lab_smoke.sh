#!/usr/bin/env bash
# lab_smoke.sh: bring the lab up, check from the scanner namespace that it
# matches its ground truth, tear it down, check nothing is left.
# Needs root. Exit 0 when every check passes, 1 otherwise.
#
# Usage: tests/integration/lab_smoke.sh [-v]
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
LAB=$HERE/../lab/lab.sh
PREFIX=bphsmk$$
PREFIX2=bphsmk2x$$
TMP=$(mktemp -d /tmp/bphlab-smoke.XXXXXX)
DIR=$TMP/lab
DIR2=$TMP/lab2
VERBOSE=0
[[ "${1:-}" == "-v" ]] && VERBOSE=1

fails=0
passes=0
pass() { passes=$((passes + 1)); [[ $VERBOSE -eq 1 ]] && echo "ok   $*"; return 0; }
fail() { fails=$((fails + 1)); echo "FAIL $*"; return 0; }
check() { # description command...
    local d=$1; shift
    if "$@"; then pass "$d"; else fail "$d"; fi
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

cleanup() {
    LAB_QUIET=1 "$LAB" --prefix "$PREFIX2" down "$DIR2" >/dev/null 2>&1
    LAB_QUIET=1 "$LAB" --prefix "$PREFIX" down "$DIR" >/dev/null 2>&1
    rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ $(id -u) -eq 0 ]] || { echo "lab_smoke.sh: needs root" >&2; exit 1; }

inx() { ip netns exec "$PREFIX-scan" "$@"; }

# --- up ----------------------------------------------------------------------
t0=$(now)
if ! "$LAB" --prefix "$PREFIX" up "$DIR"; then
    echo "FAIL lab.sh up"; exit 1
fi
T_UP=$(since "$t0")
[[ -f "$DIR/truth.json" ]] || { echo "FAIL no truth.json"; exit 1; }

# truth.json -> "ip role provider port,port" lines
mapfile -t HOSTS < <(python3 - "$DIR/truth.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
for h in t["hosts"]:
    print(h["ip"], h["role"], h["provider"] or "-",
          ",".join(map(str, h["open_ports"])) or "-")
EOF
)
check "truth.json lists 12 hosts" test "${#HOSTS[@]}" -eq 12
check "truth.json is well formed" python3 - "$DIR/truth.json" <<'EOF'
import ipaddress, json, sys
t = json.load(open(sys.argv[1]))
assert t["seed"] == "198.18.10.10"
assert t["ranges"] == ["198.18.10.0/24", "198.18.20.0/24"]
ips = {h["ip"] for h in t["hosts"]}
assert t["seed"] in ips
assert not ips & set(t["empty"])
assert len(t["clusters"]) == 2 and all(len(c) > 1 for c in t["clusters"])
for h in t["hosts"]:
    assert h["role"] in ("provider", "tenant", "closed", "dropped")
    assert ipaddress.ip_address(h["ip"]) in ipaddress.ip_network("198.18.0.0/15")
EOF

ips_where() { # role provider
    local l ip role prov ports
    for l in "${HOSTS[@]}"; do
        read -r ip role prov ports <<<"$l"
        [[ "$role" == "$1" && "$prov" == "$2" ]] && echo "$ip"
    done
}
mapfile -t A_IPS < <(ips_where provider A)
mapfile -t B_IPS < <(ips_where provider B)
mapfile -t T_IPS < <(ips_where tenant -)
CLOSED_IP=$(ips_where closed -)
DROPPED_IP=$(ips_where dropped -)

# --- every open port accepts a connection -------------------------------------
tcp_open() { inx timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
for l in "${HOSTS[@]}"; do
    read -r ip role prov ports <<<"$l"
    [[ "$ports" == "-" ]] && continue
    for p in ${ports//,/ }; do
        check "$ip:$p ($role $prov) accepts TCP" tcp_open "$ip" "$p"
    done
done

# --- SSH host keys ------------------------------------------------------------
ssh_port() { case " ${B_IPS[*]} " in *" $1 "*) echo 2222 ;; *) echo 22 ;; esac; }
sshkeys() { # ip -> digest of the sorted host keys (empty on failure)
    local out
    out=$(inx ssh-keyscan -T 3 -p "$(ssh_port "$1")" -t ed25519,ecdsa,rsa "$1" 2>/dev/null |
          awk '{print $2, $3}' | sort)
    [[ $(grep -c . <<<"$out") -eq 3 ]] || return 0
    sha256sum <<<"$out" | cut -c1-64
}
declare -A SSH
for ip in "${A_IPS[@]}" "${B_IPS[@]}" "${T_IPS[@]}"; do
    SSH[$ip]=$(sshkeys "$ip")
    check "ssh-keyscan $ip gives 3 host keys" test -n "${SSH[$ip]}"
done

# --- TLS certificates -----------------------------------------------------------
tls_port() { case " ${B_IPS[*]} " in *" $1 "*) echo 8443 ;; *) echo 443 ;; esac; }
certfp() {
    inx openssl s_client -connect "$1:$(tls_port "$1")" </dev/null 2>/dev/null |
        openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}
declare -A CERT
for ip in "${A_IPS[@]}" "${B_IPS[@]}" "${T_IPS[@]}"; do
    CERT[$ip]=$(certfp "$ip")
    check "TLS certificate from $ip" test -n "${CERT[$ip]}"
done

# --- HTTP: title and favicon ------------------------------------------------------
title() { inx curl -s -m 3 "http://$1/" | sed -n 's:.*<title>\(.*\)</title>.*:\1:p' | head -n1; }
favicon() { inx curl -sf -m 3 "http://$1/favicon.ico" | sha256sum | cut -c1-64; }
declare -A TITLE FAV
for ip in "${A_IPS[@]}" "${B_IPS[@]}" "${T_IPS[@]}"; do
    TITLE[$ip]=$(title "$ip")
    FAV[$ip]=$(favicon "$ip")
done
EMPTY_SHA=$(printf '' | sha256sum | cut -c1-64)

# --- same within a provider, different across ------------------------------------
same_all() { # map ips...
    local -n m=$1; shift
    local first=${m[$1]} ip
    [[ -n "$first" ]] || return 1
    for ip in "$@"; do [[ "${m[$ip]}" == "$first" ]] || return 1; done
}
all_distinct() { # map ips...
    local -n m=$1; shift
    local ip seen=""
    for ip in "$@"; do
        [[ -n "${m[$ip]}" ]] || return 1
        case "$seen" in *"|${m[$ip]}|"*) return 1 ;; esac
        seen+="|${m[$ip]}|"
    done
}
for what in SSH CERT; do
    check "$what identical on provider A hosts" same_all $what "${A_IPS[@]}"
    check "$what identical on provider B hosts" same_all $what "${B_IPS[@]}"
    check "$what differs between A, B and every tenant" \
        all_distinct $what "${A_IPS[0]}" "${B_IPS[0]}" "${T_IPS[@]}"
done
check "panel title identical on A hosts" same_all TITLE "${A_IPS[@]}"
check "panel title identical on B hosts" same_all TITLE "${B_IPS[@]}"
check "A title is the Alpha panel" test "${TITLE[${A_IPS[0]}]}" = "Alpha Hosting :: Offshore Client Panel"
for ip in "${T_IPS[@]}"; do
    check "tenant $ip serves the default nginx page" test "${TITLE[$ip]}" = "Welcome to nginx!"
done
check "favicon identical on A hosts" same_all FAV "${A_IPS[@]}"
check "favicon identical on B hosts" same_all FAV "${B_IPS[@]}"
check "favicons of A and B differ" test "${FAV[${A_IPS[0]}]}" != "${FAV[${B_IPS[0]}]}"
for ip in "${T_IPS[@]}"; do
    check "tenant $ip has no favicon" test "${FAV[$ip]}" = "$EMPTY_SHA"
done

# --- TCP stack traits (as the scanner's kernel saw the SYN-ACK) -------------------
tcpinfo() { # ip port -> ss -ti line
    inx python3 - "$1" "$2" <<'EOF'
import socket, subprocess, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
lport = s.getsockname()[1]
out = subprocess.run(["ss", "-tinoe", f"sport = :{lport}"], capture_output=True, text=True).stdout
print(" ".join(out.split("\n")[2:]))
s.close()
EOF
}
has() { grep -qE -- "$2" <<<"$1"; }
A_TI=$(tcpinfo "${A_IPS[0]}" 80)
B_TI=$(tcpinfo "${B_IPS[0]}" 80)
T_TI=$(tcpinfo "${T_IPS[0]}" 80)
check "A: MSS 1360, no timestamps, window scaling" \
    bash -c 'grep -q " mss:1360 " <<<"$1" && ! grep -qE "(^| )ts " <<<"$1" && grep -q "wscale:" <<<"$1"' _ "$A_TI"
check "B: MSS 1400 (1388 with timestamps), timestamps, no window scaling" \
    bash -c 'grep -q " mss:1388 " <<<"$1" && grep -qE "(^| )ts " <<<"$1" && ! grep -q "wscale:" <<<"$1"' _ "$B_TI"
check "tenant: default stack (MSS 1448, timestamps, window scaling)" \
    bash -c 'grep -q " mss:1448 " <<<"$1" && grep -qE "(^| )ts " <<<"$1" && grep -q "wscale:" <<<"$1"' _ "$T_TI"

# --- TTL seen from the scanner (router decrements by one) -------------------------
icmp_ttl() {
    inx python3 - "$1" <<'EOF'
import os, socket, struct, sys, time
ip = sys.argv[1]
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack(f"!{len(b)//2}H", b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
ident = os.getpid() & 0xffff
body = b"bphlab-smoke"
pkt = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + body
pkt = struct.pack("!BBHHH", 8, 0, csum(pkt), ident, 1) + body
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(pkt, (ip, 0))
end = time.time() + 2
while time.time() < end:
    s.settimeout(max(0.01, end - time.time()))
    try:
        data, addr = s.recvfrom(2048)
    except socket.timeout:
        break
    ihl = (data[0] & 15) * 4
    if addr[0] == ip and data[ihl] == 0 and struct.unpack("!H", data[ihl+4:ihl+6])[0] == ident:
        print(data[8]); sys.exit(0)
sys.exit(1)
EOF
}
check "ICMP TTL from provider A host is 63" test "$(icmp_ttl "${A_IPS[0]}")" = 63
check "ICMP TTL from provider A host in 198.18.20.0/24 is 63" test "$(icmp_ttl "${A_IPS[3]}")" = 63
check "ICMP TTL from provider B host is 127" test "$(icmp_ttl "${B_IPS[0]}")" = 127
check "ICMP TTL from tenant is 63" test "$(icmp_ttl "${T_IPS[0]}")" = 63

# --- closed, dropped, empty, router --------------------------------------------------
connect_rc() { # ip port secs -> rc of a bash /dev/tcp connect under timeout
    inx timeout "$3" bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
    echo $?
}
check "closed host $CLOSED_IP refuses port 80 (RST, not timeout)" test "$(connect_rc "$CLOSED_IP" 80 2)" = 1
check "closed host $CLOSED_IP answers ICMP" test "$(icmp_ttl "$CLOSED_IP")" = 63
check "dropped host $DROPPED_IP times out on port 80" test "$(connect_rc "$DROPPED_IP" 80 2)" = 124
check "dropped host $DROPPED_IP times out on port 22" test "$(connect_rc "$DROPPED_IP" 22 2)" = 124
check "dropped host $DROPPED_IP ignores ICMP" test -z "$(icmp_ttl "$DROPPED_IP")"
check "empty address 198.18.10.99 does not connect" bash -c '[[ $1 != 0 ]]' _ "$(connect_rc 198.18.10.99 80 5)"
check "router 198.18.10.1 offers nothing" test "$(connect_rc 198.18.10.1 22 2)" = 124

# --- a refused second up, a coexisting second lab ------------------------------------
check "second up with the same prefix is refused" \
    bash -c '! LAB_QUIET=1 "$1" --prefix "$2" up "$3" 2>/dev/null' _ "$LAB" "$PREFIX" "$DIR2"
check "first lab still answers after the refused up" tcp_open "${A_IPS[0]}" 443
t1=$(now)
if LAB_QUIET=1 "$LAB" --prefix "$PREFIX2" up "$DIR2"; then
    pass "second lab with another prefix comes up"
    check "second lab answers" ip netns exec "$PREFIX2-scan" timeout 2 bash -c "exec 3<>/dev/tcp/198.18.10.10/443"
    check "exec DIR reads the prefix from lab.env" \
        bash -c '[[ $("$1" exec "$2" ip netns identify) == "$3-scan" ]]' _ "$LAB" "$DIR2" "$PREFIX2"
    LAB_QUIET=1 "$LAB" down "$DIR2"
    check "second lab is gone" bash -c '! ip netns list | grep -q "^$1-"' _ "$PREFIX2"
    check "first lab survived the second lab's down" tcp_open "${A_IPS[0]}" 443
else
    fail "second lab with another prefix comes up"
fi
T_UP2=$(since "$t1")

# --- down ---------------------------------------------------------------------------
t2=$(now)
"$LAB" --prefix "$PREFIX" down "$DIR"
T_DOWN=$(since "$t2")
check "no namespace with prefix $PREFIX remains" bash -c '! ip netns list | grep -q "^$1-"' _ "$PREFIX"
live_procs() { # processes (not zombies) whose command line names the lab dir
    local p
    for p in /proc/[0-9]*; do
        [[ -r $p/cmdline ]] || continue
        [[ $(awk '{print $3}' "$p/stat" 2>/dev/null) == Z ]] && continue
        tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$DIR/" && echo "${p#/proc/}"
    done
}
check "no nginx/sshd of the lab still running" test -z "$(live_procs)"
check "DIR removed" test ! -e "$DIR"

echo "lab_smoke: $passes passed, $fails failed; up ${T_UP}s, down ${T_DOWN}s (second lab up+checks+down ${T_UP2}s)"
[[ $fails -eq 0 ]]
