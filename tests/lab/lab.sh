#!/usr/bin/env bash
# lab.sh: a small fake Internet of real nginx and sshd hosts in network
# namespaces, with ground truth, for bphound's integration tests.
#
#   lab.sh [--prefix P] up DIR        build the lab, write DIR/truth.json
#   lab.sh [--prefix P] down DIR      stop everything, delete namespaces and
#                                     what `up` wrote into DIR
#   lab.sh [--prefix P] exec DIR CMD  run CMD inside the scanner namespace
#   lab.sh [--prefix P] status DIR    list the lab's namespaces
#   lab.sh [--prefix P] mutate DIR ACTION ARG...
#                                     change a running lab (sweep tests;
#                                     the actions are listed at do_mutate)
#
# The prefix (default "bphlab") names every namespace ("P-scan", "P-rtr",
# "P-hNN"), so two labs with different prefixes can coexist. After `up`,
# DIR/lab.env remembers the prefix, so `down DIR` and `exec DIR` find it.
#
# Safety: every address is in 198.18.0.0/15 and lives only inside the
# namespaces created here. Nothing is added to the root namespace (veth pairs
# are created directly inside the namespaces). The hosts' only route is the
# lab router; the router has no uplink. See tests/lab/README.md.
set -euo pipefail

PREFIX=bphlab
prefix_given=0
WAIT_SECS=${LAB_WAIT_SECS:-30}

die() { echo "lab.sh: $*" >&2; exit 1; }
log() { [[ -n "${LAB_QUIET:-}" ]] || echo "lab.sh: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# ---------------------------------------------------------------------------
# Topology and population. One line per host:
#   NN  IP  ROLE  PROVIDER
# ROLE: provider | tenant | closed | dropped.  PROVIDER: A | B | -
HOSTS="
01 198.18.10.10 provider A
02 198.18.10.11 provider A
03 198.18.10.12 provider A
04 198.18.20.10 provider A
05 198.18.10.20 provider B
06 198.18.10.21 provider B
07 198.18.10.22 provider B
08 198.18.10.30 tenant -
09 198.18.10.31 tenant -
10 198.18.10.32 tenant -
11 198.18.10.40 closed -
12 198.18.10.41 dropped -
"
# Hostile services (LAB_HOSTILE=1 only; singletons, role "hostile"): one
# misbehaving service per host, run by tests/lab/hostile_server.py. The
# fifth column is PORT=MODE[,PORT=MODE]; modes bigchain and tlsstrings are
# the server's "tls" mode with a 700-certificate chain or a certificate
# whose subject is hostile text.
HOSTILE_HOSTS="
13 198.18.10.50 hostile - 80=silent
14 198.18.10.51 hostile - 22=trickle
15 198.18.10.52 hostile - 80=flood
16 198.18.10.53 hostile - 80=reset
17 198.18.10.54 hostile - 22=sshbanner
18 198.18.10.55 hostile - 80=httpheader
19 198.18.10.56 hostile - 22=sshlen
20 198.18.10.57 hostile - 443=tlslen
21 198.18.10.58 hostile - 80=contentlen
22 198.18.10.59 hostile - 443=bigchain
23 198.18.10.60 hostile - 80=chunked
24 198.18.10.61 hostile - 443=tlsstrings,80=strings
"
if [[ -n "${LAB_HOSTILE:-}" && "${LAB_HOSTILE:-}" != 0 ]]; then
    HOSTS+=$HOSTILE_HOSTS
fi
# Sweep hosts (LAB_SWEEP=1 only; tests/integration/sweep_lab.sh changes
# them between runs with `mutate`): tenants with their own keys,
# certificates and page in their own /24 (198.18.30.0/24, away from the
# providers' blocks), and one hostile page whose title the test changes.
SWEEP_HOSTS="
40 198.18.30.70 tenant -
41 198.18.30.71 tenant -
42 198.18.30.72 tenant -
43 198.18.30.73 tenant -
44 198.18.30.74 tenant -
45 198.18.30.75 tenant -
46 198.18.30.76 tenant -
47 198.18.30.77 tenant -
49 198.18.30.62 hostile - 80=strings
"
LAB_SWEEP=${LAB_SWEEP:-0}
if [[ "$LAB_SWEEP" != 0 ]]; then
    HOSTS+=$SWEEP_HOSTS
fi
# Servers holding many addresses (LAB_LIMITED=1 only): one namespace, one
# sshd and one nginx listening on six addresses of their own /24, as a BPH
# server holding a block. Columns: NN FIRST-LAST role PROVIDER LIMITS.
# C limits its clients: sshd MaxStartups 3:100:3 (past three
# unauthenticated connections every new one is dropped) and nginx
# limit_conn 2 per client address. D keeps the defaults (MaxStartups
# 10:30:100), for tests/integration/pivot_repeat.sh. LAB_LIMITED=only
# brings up these two alone (the seed is then 198.18.41.10).
MULTI_HOSTS=""
if [[ -n "${LAB_LIMITED:-}" && "${LAB_LIMITED:-}" != 0 ]]; then
    MULTI_HOSTS="
25 198.18.40.10-15 provider C limited
26 198.18.41.10-15 provider D default
"
fi
HERE=$(cd "$(dirname "$0")" && pwd)
SEED=198.18.10.10
RANGES="198.18.10.0/24 198.18.20.0/24"
[[ "$LAB_SWEEP" == 0 ]] || RANGES+=" 198.18.30.0/24"
[[ -z "$MULTI_HOSTS" ]] || RANGES+=" 198.18.40.0/24 198.18.41.0/24"
PKI_BASE="A B"
if [[ "${LAB_LIMITED:-}" == only ]]; then
    HOSTS=""
    PKI_BASE=""
    SEED=198.18.41.10
    RANGES="198.18.40.0/24 198.18.41.0/24"
fi
SCAN_IP=198.19.0.2
RTR_SCAN_IP=198.19.0.1
# subnet -> router bridge address
GW_10=198.18.10.1
GW_20=198.18.20.1
GW_30=198.18.30.1

# Open ports per role/provider.
ports_for() { # role provider [modes]
    case "$1:$2" in
        hostile:-)  echo "$3" | tr ',' '\n' | sed 's/=.*//' | tr '\n' ' ' ;;
        provider:A) echo "22 80 443" ;;
        provider:B) echo "80 2222 8443" ;;
        provider:C|provider:D) echo "22 80 443" ;;
        tenant:-)   echo "22 80 443" ;;
        *)          echo "" ;;
    esac
}

# Stack settings per provider (sysctl list; advmss on the routes).
sysctls_for() {
    case "$1" in
        A) echo "net.ipv4.ip_default_ttl=64 net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=1 net.ipv4.tcp_window_scaling=1" ;;
        B) echo "net.ipv4.ip_default_ttl=128 net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_window_scaling=0" ;;
        *) echo "" ;;
    esac
}
advmss_for() {
    case "$1" in A) echo 1360 ;; B) echo 1400 ;; *) echo "" ;; esac
}

cert_subject_for() { # pki-name
    case "$1" in
        A)   echo "/C=SC/O=Alpha Hosting Ltd/CN=panel.alpha-hosting.example" ;;
        B)   echo "/C=BZ/O=BetaNet Solutions/CN=cp.betanet-bph.example" ;;
        t08) echo "/CN=www.bakery-on-main.example" ;;
        t09) echo "/CN=mail.jones-family.example" ;;
        t10) echo "/CN=blog.quiet-river.example" ;;
        C)   echo "/C=SC/O=Gamma Racks/CN=panel.gamma-racks.example" ;;
        D)   echo "/C=SC/O=Delta Block Ltd/CN=my.delta-block.example" ;;
        *)   echo "/CN=www.tenant-$1.example" ;;
    esac
}

# ---------------------------------------------------------------------------
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

lab_namespaces() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}-(scan|rtr|h[0-9][0-9])\$" || true
}

load_env() { # DIR
    local dir=$1
    if [[ $prefix_given -eq 0 && -f "$dir/lab.env" ]]; then
        local p
        p=$(sed -n 's/^PREFIX=//p' "$dir/lab.env" | head -n1)
        [[ -n "$p" ]] && PREFIX=$p
    fi
    return 0
}

check_prefix() {
    [[ "$PREFIX" =~ ^[A-Za-z0-9][A-Za-z0-9_.]{0,31}$ ]] ||
        die "bad prefix '$PREFIX' (1-32 chars, letters, digits, _ .)"
}

# ---------------------------------------------------------------------------
# Down

kill_if_ours() { # pidfile dir
    local pf=$1 dir=$2 pid
    [[ -f "$pf" ]] || return 0
    pid=$(tr -dc 0-9 <"$pf")
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 0
    # Only a process whose command line names this lab directory.
    if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir"; then
        kill -TERM "$pid" 2>/dev/null || true
    fi
}

kill_tree() { # pid: the process and all its descendants (by id)
    local p=$1 c
    for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do kill_tree "$c"; done
    kill -TERM "$p" 2>/dev/null || true
}

KEYGEN_PIDS=()
up_failed() {
    local p
    echo "lab.sh: up failed, tearing down" >&2
    for p in "${KEYGEN_PIDS[@]}"; do kill_tree "$p"; done
    for p in "${KEYGEN_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    LAB_QUIET=1 do_down "$UP_DIR"
}

do_down() { # DIR
    local dir=$1 t0 ns pids i
    t0=$(now)
    # 1. By pid files.
    if [[ -d "$dir" ]]; then
        for pf in "$dir"/h[0-9][0-9]/nginx.pid "$dir"/h[0-9][0-9]/sshd.pid \
                  "$dir"/h[0-9][0-9]/hostile.pid; do
            kill_if_ours "$pf" "$dir"
        done
    fi
    # 2. Everything still running in the lab's namespaces.
    local nss
    nss=$(lab_namespaces)
    for ns in $nss; do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [[ -n "$pids" ]] && kill -TERM $pids 2>/dev/null || true
    done
    for i in $(seq 1 30); do
        pids=""
        for ns in $nss; do
            pids+=" $(ip netns pids "$ns" 2>/dev/null || true)"
        done
        [[ -z "${pids// /}" ]] && break
        if [[ $i -eq 20 ]]; then
            kill -KILL $pids 2>/dev/null || true
        fi
        sleep 0.1
    done
    # 3. Namespaces (deleting them deletes the veths and bridges).
    for ns in $nss; do
        ip netns del "$ns" 2>/dev/null || true
    done
    # 4. What up wrote into DIR.
    if [[ -d "$dir" ]]; then
        local created=0
        [[ -f "$dir/lab.env" ]] && grep -q '^CREATED_DIR=1' "$dir/lab.env" && created=1
        rm -rf -- "$dir"/h[0-9][0-9] "$dir/pki" "$dir/www" "$dir/truth.json" "$dir/lab.env"
        if [[ $created -eq 1 ]]; then
            rmdir -- "$dir" 2>/dev/null || true
        fi
    fi
    log "down ($PREFIX) in $(elapsed "$t0")s"
}

# ---------------------------------------------------------------------------
# Up: material

gen_png() { # file r g b
    python3 - "$@" <<'EOF'
import struct, sys, zlib
path, r, g, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
w = h = 16
raw = b""
for y in range(h):
    row = b"\x00"
    for x in range(w):
        # a simple emblem: coloured diagonal band on white
        if abs(x - y) < 4 or abs(x + y - 15) < 2:
            row += bytes((r, g, b, 255))
        else:
            row += bytes((255, 255, 255, 0))
    raw += row
def chunk(t, d):
    c = struct.pack(">I", len(d)) + t + d
    return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
open(path, "wb").write(png)
EOF
}

gen_pki() { # dir name: an RSA certificate and three host keys; the
    # sweep tenants (t40 and up) get an EC certificate and no RSA host key,
    # which are quick to make (RSA generation dominates `up`)
    local d=$1/pki/$2 subj cn newkey=(-newkey rsa:2048) fast=0
    if [[ "$2" =~ ^t([0-9]+)$ ]] && (( 10#${BASH_REMATCH[1]} >= 40 )); then
        fast=1
        newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
    fi
    mkdir -p "$d"
    subj=$(cert_subject_for "$2")
    cn=${subj##*CN=}
    openssl req -x509 "${newkey[@]}" -nodes -sha256 -days 3650 \
        -subj "$subj" -addext "subjectAltName=DNS:$cn" \
        -keyout "$d/tls.key" -out "$d/tls.crt" >/dev/null 2>&1
    chmod 600 "$d/tls.key"
    gen_hostkeys "$d" "$fast"
}

gen_hostkeys() { # pki-dir fast
    ssh-keygen -q -t ed25519 -N '' -C '' -f "$1/ssh_host_ed25519_key"
    ssh-keygen -q -t ecdsa -b 256 -N '' -C '' -f "$1/ssh_host_ecdsa_key"
    [[ $2 == 1 ]] || ssh-keygen -q -t rsa -b 3072 -N '' -C '' -f "$1/ssh_host_rsa_key"
}

gen_www() { # dir
    local d=$1/www
    mkdir -p "$d/A" "$d/B"
    cat >"$d/A/index.html" <<'EOF'
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Alpha Hosting :: Offshore Client Panel</title>
<link rel="icon" href="/favicon.ico">
</head>
<body>
<h1>Alpha Hosting</h1>
<p>Offshore VPS and dedicated servers. DMCA ignored. Client login below.</p>
<form action="/login" method="post">
<input name="user" placeholder="client id"> <input name="pass" type="password">
<button>Sign in</button>
</form>
<!-- panel build ah-2.4.17 -->
</body>
</html>
EOF
    cat >"$d/B/index.html" <<'EOF'
<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>BetaNet Bulletproof | Control Center</title>
<link rel="shortcut icon" href="/favicon.ico">
</head>
<body>
<div id="app">
<h2>BetaNet Control Center</h2>
<p>Abuse-resistant hosting since 2014. Accepting crypto only.</p>
<a href="/billing">Billing</a> | <a href="/tickets">Tickets</a>
</div>
</body>
</html>
EOF
    gen_png "$d/A/favicon.ico" 200 30 30
    gen_png "$d/B/favicon.ico" 20 90 200
    local p
    for p in C D; do
        mkdir -p "$d/$p"
        printf '<!DOCTYPE html>\n<html><head><meta charset="utf-8">\n<title>%s</title></head>\n<body><p>%s</p></body></html>\n' \
            "$p Block Hosting :: Panel" "Servers by the block, provider $p." >"$d/$p/index.html"
    done
}

write_page() { # dir title: a small page of its own (sweep tenants)
    mkdir -p "$1"
    printf '<!DOCTYPE html>\n<html><head><meta charset="utf-8">\n<title>%s</title></head>\n<body><p>%s: small business site.</p></body></html>\n' \
        "$2" "$2" >"$1/index.html"
}

# The part every lab nginx.conf shares: one worker, logs and temp files in
# the host's folder h, a first comment line saying whose it is.
nginx_head() { # h comment
    local h=$1
    cat <<EOF
# generated by tests/lab/lab.sh for $2
user root;
worker_processes 1;
daemon on;
pid $h/nginx.pid;
error_log $h/nginx-error.log warn;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log $h/nginx-access.log;
    client_body_temp_path $h/tmp/client_body;
    proxy_temp_path $h/tmp/proxy;
    fastcgi_temp_path $h/tmp/fastcgi;
    uwsgi_temp_path $h/tmp/uwsgi;
    scgi_temp_path $h/tmp/scgi;
EOF
}

write_nginx_conf() { # dir nn ip role provider pki
    local dir=$1 nn=$2 ip=$3 role=$4 prov=$5 pki=$6
    local h=$dir/h$nn root extra_http="" tls_port=443
    case "$role:$prov" in
        provider:A) root=$dir/www/A; extra_http="server_tokens off;" ;;
        provider:B) root=$dir/www/B; tls_port=8443
                    extra_http="add_header X-Panel-Node \"bn-edge\" always;" ;;
        *)          root=/var/www/html ;;
    esac
    # per-host overrides written by `mutate` (and up, for sweep tenants)
    [[ -d "$h/www" ]] && root=$h/www
    local http_listen="listen $ip:80 default_server;" port
    [[ -e "$h/no80" ]] && http_listen="listen 127.0.0.1:80;"
    local tls_listen="listen $ip:$tls_port ssl default_server;"
    for port in $(cat "$h/extra_tls_ports" 2>/dev/null); do
        tls_listen+=" listen $ip:$port ssl;"
    done
    local tls_extra=""
    if [[ "$prov" == B ]]; then
        tls_extra="ssl_protocols TLSv1.2;
        ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-SHA;
        ssl_prefer_server_ciphers on;"
    fi
    {
        nginx_head "$h" "$PREFIX-h$nn ($ip, $role $prov)"
        cat <<EOF
    sendfile on;
    keepalive_timeout 65;
    $extra_http

    server {
        $http_listen
        server_name _;
        root $root;
        index index.html index.htm index.nginx-debian.html;
        location / { try_files \$uri \$uri/ =404; }
    }
    server {
        $tls_listen
        server_name _;
        ssl_certificate $dir/pki/$pki/tls.crt;
        ssl_certificate_key $dir/pki/$pki/tls.key;
        $tls_extra
        root $root;
        index index.html index.htm index.nginx-debian.html;
        location / { try_files \$uri \$uri/ =404; }
    }
}
EOF
    } >"$h/nginx.conf"
}

write_sshd_conf() { # dir nn ip prov pki
    local dir=$1 nn=$2 ip=$3 prov=$4 pki=$5
    local h=$dir/h$nn port=22 extra=""
    if [[ "$prov" == B ]]; then
        port=2222
        extra="DebianBanner no
KexAlgorithms curve25519-sha256,diffie-hellman-group14-sha256
Ciphers aes256-gcm@openssh.com,aes128-ctr
MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-256"
    fi
    cat >"$h/sshd_config" <<EOF
# generated by tests/lab/lab.sh for $PREFIX-h$nn ($ip)
Port $port
ListenAddress $ip
HostKey $dir/pki/$pki/ssh_host_ed25519_key
HostKey $dir/pki/$pki/ssh_host_ecdsa_key
$([[ -e $dir/pki/$pki/ssh_host_rsa_key ]] && echo "HostKey $dir/pki/$pki/ssh_host_rsa_key")
PidFile $h/sshd.pid
UsePAM no
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile none
X11Forwarding no
$extra
EOF
}

# ---------------------------------------------------------------------------
# Up: network

new_ns() { # name
    ip netns add "$1"
    nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
    nsx "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
    ip -n "$1" link set lo up
}

build_core() {
    local scan=$PREFIX-scan rtr=$PREFIX-rtr
    new_ns "$rtr"
    new_ns "$scan"
    nsx "$rtr" sysctl -qw net.ipv4.ip_forward=1
    # scanner <-> router
    ip -n "$rtr" link add scan0 type veth peer name eth0 netns "$scan"
    ip -n "$rtr" addr add "$RTR_SCAN_IP/30" dev scan0
    ip -n "$rtr" link set scan0 up
    ip -n "$scan" addr add "$SCAN_IP/30" dev eth0
    ip -n "$scan" link set eth0 up
    ip -n "$scan" route add default via "$RTR_SCAN_IP"
    # host bridges
    ip -n "$rtr" link add br10 type bridge
    ip -n "$rtr" addr add "$GW_10/24" dev br10
    ip -n "$rtr" link set br10 up
    ip -n "$rtr" link add br20 type bridge
    ip -n "$rtr" addr add "$GW_20/24" dev br20
    ip -n "$rtr" link set br20 up
    if [[ "$LAB_SWEEP" != 0 ]]; then
        ip -n "$rtr" link add br30 type bridge
        ip -n "$rtr" addr add "$GW_30/24" dev br30
        ip -n "$rtr" link set br30 up
    fi
    # The router itself offers nothing: drop TCP/UDP addressed to it, so it
    # never shows up as a scanned host (forwarding is not affected).
    nsx "$rtr" nft -f - <<'EOF'
table inet bphlab_rtr {
    chain input {
        type filter hook input priority 0; policy accept;
        iifname "lo" accept
        meta l4proto { tcp, udp } drop
    }
}
EOF
}

build_host() { # dir nn ip role prov
    local dir=$1 nn=$2 ip=$3 role=$4 prov=$5
    local ns=$PREFIX-h$nn rtr=$PREFIX-rtr gw br net mss s
    case "$ip" in
        198.18.10.*) gw=$GW_10; br=br10; net=198.18.10.0/24 ;;
        198.18.20.*) gw=$GW_20; br=br20; net=198.18.20.0/24 ;;
        198.18.30.*) gw=$GW_30; br=br30; net=198.18.30.0/24 ;;
        *) die "no subnet for $ip" ;;
    esac
    new_ns "$ns"
    ip -n "$rtr" link add "h$nn" type veth peer name eth0 netns "$ns"
    ip -n "$rtr" link set "h$nn" master "$br"
    ip -n "$rtr" link set "h$nn" up
    for s in $(sysctls_for "$prov"); do
        nsx "$ns" sysctl -qw "$s"
    done
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    mss=$(advmss_for "$prov")
    if [[ -n "$mss" ]]; then
        ip -n "$ns" route replace "$net" dev eth0 proto kernel scope link src "$ip" advmss "$mss"
        ip -n "$ns" route add default via "$gw" advmss "$mss"
    else
        ip -n "$ns" route add default via "$gw"
    fi
    if [[ "$role" == dropped ]]; then
        nsx "$ns" nft -f - <<'EOF'
table inet bphlab_drop {
    chain input { type filter hook input priority 0; policy drop; }
    chain output { type filter hook output priority 0; policy drop; }
}
EOF
    fi
}

start_services() { # dir nn ip role prov
    local dir=$1 nn=$2 ip=$3 role=$4 prov=$5
    local ns=$PREFIX-h$nn h=$dir/h$nn pki
    case "$role" in provider|tenant) ;; *) return 0 ;; esac
    if [[ "$role" == provider ]]; then pki=$prov; else pki=t$nn; fi
    [[ -f "$h/pki" ]] && pki=$(cat "$h/pki")
    mkdir -p "$h/tmp"
    write_nginx_conf "$dir" "$nn" "$ip" "$role" "$prov" "$pki"
    write_sshd_conf "$dir" "$nn" "$ip" "$prov" "$pki"
    if ! nsx "$ns" nginx -q -e "$h/nginx-error.log" -c "$h/nginx.conf" -p "$h/"; then
        tail -n 5 "$h/nginx-error.log" >&2 2>/dev/null
        die "nginx failed on $ns"
    fi
    if ! nsx "$ns" /usr/sbin/sshd -f "$h/sshd_config" -E "$h/sshd.log"; then
        tail -n 5 "$h/sshd.log" >&2 2>/dev/null
        die "sshd failed on $ns"
    fi
}

# A server on six addresses (MULTI_HOSTS): one namespace, its addresses
# FIRST..LAST on eth0, one nginx and one sshd listening on all of them.
multi_ips() { # a.b.c.X-Y -> the addresses
    local spec=$1 base first last i
    base=${spec%.*}; first=${spec##*.}; first=${first%-*}; last=${spec##*-}
    for ((i = first; i <= last; i++)); do echo "$base.$i"; done
}

build_multi() { # dir nn spec
    local dir=$1 nn=$2 spec=$3 ns=$PREFIX-h$nn rtr=$PREFIX-rtr ip br gw
    ip=$(multi_ips "$spec")
    ip=${ip%%$'\n'*} # the first (no `| head`: pipefail and SIGPIPE)
    gw=${ip%.*}.1
    br=${ip%.*}; br=br${br##*.}
    if ! ip -n "$rtr" link show "$br" >/dev/null 2>&1; then
        ip -n "$rtr" link add "$br" type bridge
        ip -n "$rtr" addr add "$gw/24" dev "$br"
        ip -n "$rtr" link set "$br" up
    fi
    new_ns "$ns"
    ip -n "$rtr" link add "h$nn" type veth peer name eth0 netns "$ns"
    ip -n "$rtr" link set "h$nn" master "$br"
    ip -n "$rtr" link set "h$nn" up
    for ip in $(multi_ips "$spec"); do
        ip -n "$ns" addr add "$ip/24" dev eth0
    done
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$gw"
}

write_multi_conf() { # dir nn spec prov limits
    local dir=$1 nn=$2 spec=$3 prov=$4 limits=$5 h=$dir/h$nn ip
    local listen="" listenssh="" zone="" conn="" startups=""
    for ip in $(multi_ips "$spec"); do
        listen+="        listen $ip:80;"$'\n'"        listen $ip:443 ssl;"$'\n'
        listenssh+="ListenAddress $ip"$'\n'
    done
    if [[ "$limits" == limited ]]; then
        zone="limit_conn_zone \$binary_remote_addr zone=perclient:1m;"
        conn="limit_conn perclient 2;"
        startups="MaxStartups 3:100:3"
    fi
    {
        nginx_head "$h" "$PREFIX-h$nn ($spec, provider $prov, $limits)"
        cat <<EOF
    $zone
    server {
$listen        server_name _;
        ssl_certificate $dir/pki/$prov/tls.crt;
        ssl_certificate_key $dir/pki/$prov/tls.key;
        $conn
        root $dir/www/$prov;
        index index.html;
        location / { try_files \$uri \$uri/ =404; }
    }
}
EOF
    } >"$h/nginx.conf"
    cat >"$h/sshd_config" <<EOF
# generated by tests/lab/lab.sh for $PREFIX-h$nn ($spec, provider $prov, $limits)
Port 22
${listenssh}HostKey $dir/pki/$prov/ssh_host_ed25519_key
HostKey $dir/pki/$prov/ssh_host_ecdsa_key
HostKey $dir/pki/$prov/ssh_host_rsa_key
PidFile $h/sshd.pid
UsePAM no
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile none
X11Forwarding no
$startups
EOF
}

start_multi() { # dir nn spec prov limits
    local dir=$1 nn=$2 spec=$3 prov=$4 limits=$5 ns=$PREFIX-h$nn h=$dir/h$nn
    mkdir -p "$h/tmp"
    write_multi_conf "$dir" "$nn" "$spec" "$prov" "$limits"
    nsx "$ns" nginx -q -e "$h/nginx-error.log" -c "$h/nginx.conf" -p "$h/" ||
        die "nginx failed on $ns"
    nsx "$ns" /usr/sbin/sshd -f "$h/sshd_config" -E "$h/sshd.log" ||
        die "sshd failed on $ns"
}

# Hostile material: pki/hostile/big.{crt,key} (leaf + 700 padding
# certificates, about 0.6 MB of chain) and strings.{crt,key} (subject of
# markup, quotes, control characters and bytes that are not UTF-8 (a T61String): the DER is patched
# after signing, so its signature does not verify; nobody verifies it).
gen_hostile_pki() { # dir
    local d=$1/pki/hostile i
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -days 3650 -subj "/CN=chain.hostile.example" \
        -keyout "$d/big.key" -out "$d/leaf.crt" >/dev/null 2>&1
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
        -subj "/O=Padding Authority/CN=pad.hostile.example" \
        -keyout "$d/pad.key" -out "$d/pad.crt" >/dev/null 2>&1
    cp "$d/leaf.crt" "$d/big.crt"
    for i in $(seq 1 700); do cat "$d/pad.crt"; done >>"$d/big.crt"
    /usr/bin/python3 - "$d/strings.crt" "$d/strings.key" <<'EOF'
import base64, datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
key = ec.generate_private_key(ec.SECP256R1())
cn = '<script>alert("cert")</script> \'q\' "dq" \x01\x07\x1b[31m\x7f\ttab &amp;'
name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "INVALIDUTF8HERE!"),
                  x509.NameAttribute(NameOID.COMMON_NAME, cn)])
now = datetime.datetime(2026, 1, 1)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256()))
der = cert.public_bytes(serialization.Encoding.DER)
bad = b"bad\xff\xfe\xc3\x28\xed\xa0\x80<i>\"!!"
# OpenSSL refuses a UTF8String that is not UTF-8, so the bytes travel as a
# TeletexString (T61), whose content OpenSSL does not check.
old = b"\x0c\x10INVALIDUTF8HERE!"
assert len(bad) == 16 and der.count(old) == 2
der = der.replace(old, b"\x14\x10" + bad)
pem = (b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) +
       b"-----END CERTIFICATE-----\n")
open(sys.argv[1], "wb").write(pem)
open(sys.argv[2], "wb").write(key.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption()))
EOF
    chmod 600 "$d"/*.key
}

start_hostile() { # dir nn ip modes
    local dir=$1 nn=$2 ip=$3 modes=$4 h=$dir/h$nn m port mode specs=() cert=()
    for m in ${modes//,/ }; do
        port=${m%%=*}; mode=${m#*=}
        case "$mode" in
            bigchain)   mode=tls; cert=(--cert "$dir/pki/hostile/big.crt" --key "$dir/pki/hostile/big.key") ;;
            tlsstrings) mode=tls; cert=(--cert "$dir/pki/hostile/strings.crt" --key "$dir/pki/hostile/strings.key") ;;
        esac
        specs+=("$ip:$port:$mode")
    done
    nsx "$PREFIX-h$nn" /usr/bin/python3 "$HERE/hostile_server.py" \
        --pidfile "$h/hostile.pid" "${cert[@]}" "${specs[@]}" \
        </dev/null >"$h/hostile.log" 2>&1 &
}

wait_services() { # "ip:port ..."
    nsx "$PREFIX-scan" bash -c '
        deadline=$((SECONDS + '"$WAIT_SECS"'))
        for t in "$@"; do
            ip=${t%:*}; port=${t#*:}
            until timeout 1 bash -c "exec 3<>/dev/tcp/$ip/$port" 2>/dev/null; do
                if (( SECONDS >= deadline )); then
                    echo "lab.sh: $ip:$port does not accept connections" >&2
                    exit 1
                fi
                sleep 0.1
            done
        done' wait "$@"
}

write_truth() { # dir
    local dir=$1 nn ip role prov rows=""
    while read -r nn ip role prov modes; do
        [[ -n "$nn" ]] || continue
        rows+="$nn $ip $role $prov $(ports_for "$role" "$prov" "$modes" | xargs | tr ' ' ,) $modes"$'\n'
    done <<<"$HOSTS"
    local spec limits
    while read -r nn spec role prov limits; do
        [[ -n "$nn" ]] || continue
        for ip in $(multi_ips "$spec"); do
            rows+="$nn $ip $role $prov $(ports_for "$role" "$prov" | xargs | tr ' ' ,) limits=$limits"$'\n'
        done
    done <<<"$MULTI_HOSTS"
    python3 - "$dir/truth.json" "$PREFIX" "$SEED" "$RANGES" \
        "$GW_10 $GW_20 ${MULTI_HOSTS:+198.18.40.1 198.18.41.1 }$RTR_SCAN_IP" \
        "$SCAN_IP" "$rows" <<'EOF'
import ipaddress, json, sys
out, prefix, seed, ranges, routers, scan_ip, rows = sys.argv[1:8]
ranges, routers = ranges.split(), routers.split()
hosts, clusters = [], {}
for line in rows.strip().splitlines():
    nn, ip, role, prov, *ports = line.split()
    host = {"ip": ip, "ns": f"{prefix}-h{nn}", "role": role,
            "provider": None if prov == "-" else prov,
            "open_ports": [int(p) for p in ports[0].split(",")] if ports else [],
            "closed": role == "closed"}
    if role == "hostile":
        # port -> behaviour (tests/lab/hostile_server.py, lab.sh HOSTILE_HOSTS)
        host["hostile"] = dict(m.split("=") for m in ports[1].split(","))
    if len(ports) > 1 and ports[1].startswith("limits="):
        # one server on several addresses (lab.sh MULTI_HOSTS)
        host["limits"] = ({"sshd_max_startups": "3:100:3",
                           "nginx_limit_conn": 2}
                          if ports[1] == "limits=limited" else None)
    hosts.append(host)
    if role == "provider":
        clusters.setdefault(prov, []).append(ip)
used = {h["ip"] for h in hosts} | set(routers)
empty = [str(a) for r in ranges for a in ipaddress.ip_network(r).hosts()
         if str(a) not in used]
truth = {"seed": seed, "hosts": hosts, "empty": empty,
         "clusters": [sorted(c, key=ipaddress.ip_address)
                      for _, c in sorted(clusters.items()) if len(c) > 1],
         "ranges": ranges,
         "routers": routers,
         "scanner": {"ns": f"{prefix}-scan", "ip": scan_ip, "iface": "eth0",
                     "gateway": routers[-1]}}
with open(out, "w") as f:
    json.dump(truth, f, indent=2)
    f.write("\n")
EOF
}

do_up() { # DIR
    local dir=$1 t0 created=0
    t0=$(now)
    [[ $(id -u) -eq 0 ]] || die "must run as root"
    if [[ -n "$(lab_namespaces)" ]]; then
        die "a lab with prefix '$PREFIX' is already up ($(lab_namespaces | tr '\n' ' ')); run: $0 --prefix $PREFIX down DIR"
    fi
    [[ -e "$dir/truth.json" || -e "$dir/lab.env" ]] &&
        die "$dir already holds a lab (lab.env/truth.json); run down first"
    if [[ ! -d "$dir" ]]; then mkdir -p "$dir"; created=1; fi
    dir=$(cd "$dir" && pwd)
    printf 'PREFIX=%s\nCREATED_DIR=%s\nSCAN_NS=%s\nLAB_SWEEP=%s\n' "$PREFIX" "$created" "$PREFIX-scan" "$LAB_SWEEP" >"$dir/lab.env"

    UP_DIR=$dir
    UP_OK=0
    # shellcheck disable=SC2154 # rc is assigned inside the trap
    trap 'rc=$?; trap - INT TERM; [[ $UP_OK -eq 1 ]] || up_failed; exit $rc' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    mkdir -p /run/sshd
    chmod 0755 /run/sshd

    # Key material (in parallel; RSA generation dominates).
    # LAB_PKI_CACHE=DIR2 (optional): reuse keys and certificates from DIR2,
    # or generate them once and store them there.
    local p cache=${LAB_PKI_CACHE:-} names="$PKI_BASE${MULTI_HOSTS:+ C D}" nn ip role prov modes
    while read -r nn ip role prov modes; do
        [[ "$role" == tenant ]] && names+=" t$nn"
    done <<<"$HOSTS"
    mkdir -p "$dir/pki"
    for p in $names; do
        if [[ -n "$cache" && -f "$cache/$p/tls.crt" ]]; then
            cp -a "$cache/$p" "$dir/pki/$p"
        else
            gen_pki "$dir" "$p" </dev/null & KEYGEN_PIDS+=($!)
        fi
    done
    if [[ -n "$cache" && -f "$cache/hostile/strings.crt" ]]; then
        cp -a "$cache/hostile" "$dir/pki/hostile"
    fi
    gen_www "$dir"
    if [[ "$HOSTS" == *hostile* && ! -f "$dir/pki/hostile/strings.crt" ]]; then
        gen_hostile_pki "$dir" </dev/null & KEYGEN_PIDS+=($!)
    fi
    for p in "${KEYGEN_PIDS[@]}"; do wait "$p" || die "key generation failed"; done
    KEYGEN_PIDS=()
    if [[ -n "$cache" ]]; then
        # each set of keys once; a rename is atomic, so a lab starting
        # meanwhile sees a set whole or not at all
        mkdir -p "$cache"
        for p in $names hostile; do
            [[ -e "$dir/pki/$p" && ! -e "$cache/$p" ]] || continue
            cp -a "$dir/pki/$p" "$cache/$p.tmp.$$" &&
                { mv -T "$cache/$p.tmp.$$" "$cache/$p" 2>/dev/null ||
                  rm -rf "$cache/$p.tmp.$$"; }
        done
    fi
    local t_keys t_net
    t_keys=$(elapsed "$t0")

    build_core
    local nn ip role prov targets=() port
    while read -r nn ip role prov modes; do
        [[ -n "$nn" ]] || continue
        mkdir -p "$dir/h$nn"
        if [[ "$role" == tenant && 10#$nn -ge 40 ]]; then
            write_page "$dir/h$nn/www" "Tenant $nn"
        fi
        build_host "$dir" "$nn" "$ip" "$role" "$prov"
        if [[ "$role" == hostile ]]; then
            start_hostile "$dir" "$nn" "$ip" "$modes"
        else
            start_services "$dir" "$nn" "$ip" "$role" "$prov"
        fi
        for port in $(ports_for "$role" "$prov" "$modes"); do
            targets+=("$ip:$port")
        done
    done <<<"$HOSTS"
    local spec limits
    while read -r nn spec role prov limits; do
        [[ -n "$nn" ]] || continue
        mkdir -p "$dir/h$nn"
        build_multi "$dir" "$nn" "$spec"
        start_multi "$dir" "$nn" "$spec" "$prov" "$limits"
        for ip in $(multi_ips "$spec"); do
            for port in $(ports_for "$role" "$prov"); do
                targets+=("$ip:$port")
            done
        done
    done <<<"$MULTI_HOSTS"

    t_net=$(elapsed "$t0")
    wait_services "${targets[@]}" || die "services did not come up"
    write_truth "$dir"
    UP_OK=1
    trap - EXIT INT TERM
    log "up ($PREFIX) in $(elapsed "$t0")s: $(grep -c . <<<"$(lab_namespaces)") namespaces, ${#targets[@]} open ports (keys ${t_keys}s, net+daemons ${t_net}s), truth in $dir/truth.json"
}

do_status() {
    local nss
    nss=$(lab_namespaces)
    if [[ -z "$nss" ]]; then echo "lab '$PREFIX' is down"; return 1; fi
    echo "lab '$PREFIX' is up:"; echo "$nss" | sed 's/^/  /'
}

# ---------------------------------------------------------------------------
# Mutate: change a running lab between two sweeps (tests/integration/
# sweep_lab.sh). NN is a host's number (h40 ...), IP its address. truth.json
# keeps describing the lab as `up` built it.

host_ip() { # nn: the host's address (from its sshd_config or hostile log)
    sed -n 's/^ListenAddress //p' "$DIR/h$1/sshd_config" 2>/dev/null | head -n1
}

stop_pidfile() { # pidfile: TERM the process it names (ours) and wait
    local pf=$1 pid i
    [[ -f "$pf" ]] || return 0
    pid=$(tr -dc 0-9 <"$pf")
    kill_if_ours "$pf" "$DIR"
    for i in $(seq 1 50); do
        [[ -n "$pid" && -e /proc/$pid ]] || break
        sleep 0.1
    done
    rm -f "$pf"
}

restart_nginx() { # nn role prov
    local nn=$1 role=$2 prov=$3 h=$DIR/h$1 ip pki=t$1
    ip=$(host_ip "$nn")
    [[ "$role" == provider ]] && pki=$prov
    [[ -f "$h/pki" ]] && pki=$(cat "$h/pki")
    stop_pidfile "$h/nginx.pid"
    write_nginx_conf "$DIR" "$nn" "$ip" "$role" "$prov" "$pki"
    nsx "$PREFIX-h$nn" nginx -q -e "$h/nginx-error.log" -c "$h/nginx.conf" -p "$h/" ||
        die "nginx failed on $PREFIX-h$nn"
}

restart_sshd() { # nn
    local nn=$1 h=$DIR/h$1
    stop_pidfile "$h/sshd.pid"
    nsx "$PREFIX-h$nn" /usr/sbin/sshd -f "$h/sshd_config" -E "$h/sshd.log" ||
        die "sshd failed on $PREFIX-h$nn"
}

new_cert() { # pki-dir same|new: a new certificate, same subject
    local d=$1 subj
    subj=$(openssl x509 -in "$d/tls.crt" -noout -subject -nameopt compat | sed 's/^subject=//')
    if [[ "$2" == new ]]; then # a new key of the same type
        if openssl x509 -in "$d/tls.crt" -noout -text | grep -q rsaEncryption; then
            openssl genrsa -out "$d/tls.key" 2048 >/dev/null 2>&1
        else
            openssl ecparam -name prime256v1 -genkey -noout -out "$d/tls.key" 2>/dev/null
        fi
    fi
    openssl req -x509 -new -key "$d/tls.key" -sha256 -days 3650 -subj "$subj" \
        -set_serial "0x$(openssl rand -hex 8)" -out "$d/tls.crt" >/dev/null 2>&1
    chmod 600 "$d/tls.key"
}

# Actions:
#   addhost NN IP ROLE PROV [PKI]  a new host (provider|tenant) serving PKI's
#                                  keys and certificate (provider: PROV's)
#   stop NN                        stop the host's nginx and sshd
#   deladdr NN / addaddr NN IP     remove / restore the host's address
#   listen NN PORT                 nginx also serves TLS on PORT
#   close80 NN                     nginx stops serving port 80
#   reissue NN same|new            a new certificate on the same / a new key
#   rotate-ssh NN                  new SSH host keys
#   title NN TEXT                  the page's <title> becomes TEXT
#   hostile NN MODES               restart the hostile server with MODES
do_mutate() { # action args...
    local a=$1 nn=${2:-} h=$DIR/h${2:-} dir=$DIR
    shift
    case "$a" in
        addhost)
            local ip=$2 role=$3 prov=$4
            mkdir -p "$h"
            [[ -n "${5:-}" ]] && echo "$5" >"$h/pki"
            [[ "$role" == tenant ]] && write_page "$h/www" "Tenant $nn"
            build_host "$DIR" "$nn" "$ip" "$role" "$prov"
            start_services "$DIR" "$nn" "$ip" "$role" "$prov"
            local t=() port
            for port in $(ports_for "$role" "$prov"); do t+=("$ip:$port"); done
            wait_services "${t[@]}" ;;
        stop)
            stop_pidfile "$h/nginx.pid"
            stop_pidfile "$h/sshd.pid" ;;
        deladdr)
            ip -n "$PREFIX-h$nn" addr flush dev eth0 ;;
        addaddr)
            local ip=$2 gw
            case "$ip" in 198.18.10.*) gw=$GW_10 ;; 198.18.20.*) gw=$GW_20 ;; *) gw=$GW_30 ;; esac
            ip -n "$PREFIX-h$nn" addr add "$ip/24" dev eth0
            ip -n "$PREFIX-h$nn" route replace default via "$gw"
            # back only once it answers from the scanner again (as addhost
            # waits): the router's neighbour entry for the address failed
            # while it was gone, and a scan right after must find every port
            local t=() port
            for port in $(nsx "$PREFIX-h$nn" ss -Hltn | awk '{ n = split($4, a, ":"); print a[n] }' | sort -un); do
                t+=("$ip:$port")
            done
            (( ${#t[@]} == 0 )) || wait_services "${t[@]}" ;;
        listen)
            echo "$2" >>"$h/extra_tls_ports"
            restart_nginx "$nn" tenant -
            wait_services "$(host_ip "$nn"):$2" ;;
        close80)
            touch "$h/no80"
            restart_nginx "$nn" tenant - ;;
        reissue)
            new_cert "$DIR/pki/$(cat "$h/pki" 2>/dev/null || echo "t$nn")" "$2"
            restart_nginx "$nn" tenant - ;;
        rotate-ssh)
            local d=$DIR/pki/t$nn fast=1
            [[ -e "$d/ssh_host_rsa_key" ]] && fast=0
            rm -f "$d"/ssh_host_*
            gen_hostkeys "$d" "$fast"
            write_sshd_conf "$DIR" "$nn" "$(host_ip "$nn")" - "t$nn"
            restart_sshd "$nn" ;;
        title)
            write_page "$h/www" "$2" ;;
        hostile)
            local ip
            ip=$(awk -v n="$nn" '$1 == n { print $2 }' <<<"$HOSTS")
            stop_pidfile "$h/hostile.pid"
            start_hostile "$DIR" "$nn" "$ip" "$2"
            local t=() m
            for m in ${2//,/ }; do t+=("$ip:${m%%=*}"); done
            wait_services "${t[@]}" ;;
        *) usage ;;
    esac
}

# ---------------------------------------------------------------------------
args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --prefix) [[ $# -ge 2 ]] || usage; PREFIX=$2; prefix_given=1; shift 2 ;;
        --prefix=*) PREFIX=${1#--prefix=}; prefix_given=1; shift ;;
        -h|--help) usage ;;
        *) args+=("$1"); shift
           # everything after "exec DIR" (or "mutate DIR") belongs to it
           if [[ ${#args[@]} -eq 2 && ( "${args[0]}" == exec || "${args[0]}" == mutate ) ]]; then
               args+=("$@"); break
           fi ;;
    esac
done
[[ ${#args[@]} -ge 2 ]] || usage
cmd=${args[0]}
DIR=${args[1]}
[[ -n "$DIR" && "$DIR" != / ]] || die "bad DIR"

case "$cmd" in
    up)     check_prefix; do_up "$DIR" ;;
    down)   load_env "$DIR"; check_prefix; do_down "$DIR" ;;
    exec)   load_env "$DIR"; check_prefix
            [[ ${#args[@]} -ge 3 ]] || usage
            exec ip netns exec "$PREFIX-scan" "${args[@]:2}" ;;
    status) load_env "$DIR"; check_prefix; do_status ;;
    mutate) load_env "$DIR"; check_prefix
            [[ ${#args[@]} -ge 3 ]] || usage
            [[ -f "$DIR/lab.env" ]] || die "no lab in $DIR"
            DIR=$(cd "$DIR" && pwd)
            LAB_SWEEP=$(sed -n 's/^LAB_SWEEP=//p' "$DIR/lab.env")
            LAB_SWEEP=${LAB_SWEEP:-0}
            [[ "$LAB_SWEEP" == 0 || "$HOSTS" == *198.18.30.70* ]] || HOSTS+=$SWEEP_HOSTS
            do_mutate "${args[@]:2}" ;;
    *)      usage ;;
esac
