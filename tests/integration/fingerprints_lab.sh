#!/usr/bin/env bash
# Oracle test of every fingerprint bphound records, on the lab with its
# hostile hosts and its two servers of six addresses each, one of which
# limits its clients (sshd MaxStartups 3:100:3, nginx limit_conn 2)
# (tests/lab/lab.sh, LAB_HOSTILE=1 LAB_LIMITED=1):
#
#   1. brings the lab up (prefix bphfp<pid>; torn down on every exit),
#   2. runs `bphound scan` over the lab ranges inside the scanner namespace
#      under /usr/bin/time -v while dumpcap captures the scanner's eth0,
#   3. asks independent tools, from the same namespace, for every honest
#      TLS, SSH and HTTP service:
#        JARM          pinned values measured with salesforce's jarm.py
#                      against this lab (per TLS configuration; see
#                      check_fingerprints.py), jarm.py itself not shipped
#        host keys     ssh-keyscan -t ed25519,ecdsa,rsa | ssh-keygen -lf -
#        HASSHServer   tshark ssh.kex.hasshserver on the capture of bphound's
#                      own exchanges
#        JA3S          tshark tls.handshake.ja3s on the same capture
#        cert, SPKI    openssl s_client | openssl x509 / pkey / dgst
#        favicon       curl + perl Digest::MurmurHash3::PurePerl + MIME::Base64
#        title, body   curl + sha256sum (title cut from curl's body)
#   4. checks each hostile service was recorded with its error, the scan
#      exited 0 and its peak RSS stayed bounded, every export format of the
#      store parses, and `bphound show` of the host with hostile strings
#      prints no raw control characters.
# Exits non-zero on any mismatch and prints a summary count.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/integration/lib/labtest.sh"
labtest_init fplab bphfp
cap_pid=""
labtest_more_cleanup() {
	[[ -n "$cap_pid" ]] && kill "$cap_pid" 2>/dev/null || true
}

LAB_HOSTILE=1 LAB_LIMITED=1 bash "$top/tests/lab/lab.sh" --prefix "$prefix" up "$work/lab"
truth=$work/lab/truth.json
py() { /usr/bin/python3 "$@"; }
nsx() { ip netns exec "$prefix-scan" "$@"; }
ranges=$(py -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["ranges"]))' "$truth")
ports=$(py -c 'import json,sys; t=json.load(open(sys.argv[1])); print(",".join(str(p) for p in sorted({p for h in t["hosts"] for p in h["open_ports"]})))' "$truth")

# Capture everything TCP the scanner namespace sends and receives while
# bphound scans the lab; tshark then reads the HASSHServer and, per TCP
# stream, the ClientHello's ALPN list and the ServerHello's JA3S.
capture_scan() {
	# (not through nsx: $! must be dumpcap itself, which ip netns exec becomes;
	# background jobs ignore SIGINT, so it is stopped with TERM)
	ip netns exec "$prefix-scan" dumpcap -q -i eth0 -f tcp -w "$work/cap.pcapng" \
		2>"$work/dumpcap.log" &
	cap_pid=$!
	for _ in $(seq 1 50); do
		grep -q "File:" "$work/dumpcap.log" 2>/dev/null && break
		sleep 0.1
	done
	sleep 0.3

	# 3,000 pps, not the default 10,000: on a loaded 2-core machine the
	# veths dropped both SYNs (or SYN-ACKs) of a multi-address host at the
	# default rate, and the test checks fingerprints, not the SYN rate
	# (synscan_netns.sh does)
	# shellcheck disable=SC2086 # ranges is a word list
	nsx /usr/bin/time -v -o "$work/time.txt" timeout -s INT 300 \
		"$bin" scan $ranges -p "$ports" --allow-reserved --rate 3000 \
		--db "$work/scan.db" -o "$work/scan.jsonl" 2>&1 | tee "$work/scan.txt"
	sleep 0.5
	kill -TERM "$cap_pid" 2>/dev/null || true
	wait "$cap_pid" 2>/dev/null || true
	cap_pid=""
	grep -E "Elapsed \(wall|Maximum resident|Exit status" "$work/time.txt"
	echo "connections the limited sshd dropped past MaxStartups so far:" \
		"$(grep -c "past MaxStartups" "$work/lab/h25/sshd.log" || true)"

	tsh() { tshark -r "$work/cap.pcapng" -d tcp.port==2222,ssh -d tcp.port==8443,tls "$@" 2>/dev/null; }
	tsh -Y ssh.kex.hasshserver -T fields -e ip.src -e tcp.srcport \
		-e ssh.kex.hasshserver >"$work/tshark_hassh.txt"
	tsh -Y "tls.handshake.type==1" -T fields -E separator='|' -e tcp.stream \
		-e ip.dst -e tcp.dstport -e tls.handshake.extensions_alpn_str \
		>"$work/tshark_ch.txt"
	tsh -Y "tls.handshake.type==2" -T fields -E separator='|' -e tcp.stream \
		-e ip.src -e tcp.srcport -e tls.handshake.ja3s >"$work/tshark_sh.txt"
}
capture_scan

# The other oracles, from the scanner's vantage point, for honest services.
mkdir -p "$work/o"
while read -r ip port kind tls; do
	base=$work/o/$ip-$port
	case $kind in
	ssh)
		nsx ssh-keyscan -T 5 -p "$port" -t ed25519,ecdsa,rsa "$ip" 2>/dev/null \
			| ssh-keygen -lf - >"$base.ssh" || true
		;;
	tls)
		nsx timeout 10 openssl s_client -connect "$ip:$port" </dev/null 2>/dev/null \
			| openssl x509 >"$base.pem" 2>/dev/null || true
		if [[ -s "$base.pem" ]]; then
			openssl x509 -in "$base.pem" -noout -fingerprint -sha256 \
				| sed 's/.*=//; s/://g' | tr 'A-F' 'a-f' >"$base.cert"
			openssl x509 -in "$base.pem" -pubkey -noout \
				| openssl pkey -pubin -outform DER \
				| openssl dgst -sha256 -r | cut -d' ' -f1 >"$base.spki"
		fi
		;;
	http)
		scheme=http
		[[ $tls == 1 ]] && scheme=https
		nsx curl -sk --max-time 10 -o "$base.body" "$scheme://$ip:$port/" || true
		[[ -f "$base.body" ]] && sha256sum "$base.body" | cut -d' ' -f1 >"$base.bodysha"
		code=$(nsx curl -sk --max-time 10 -o "$base.ico" -w '%{http_code}' \
			"$scheme://$ip:$port/favicon.ico" || true)
		if [[ $code == 200 && -s "$base.ico" ]]; then
			perl -MDigest::MurmurHash3::PurePerl=murmur32 -MMIME::Base64 \
				-e 'local $/; my $d = <STDIN>; my $h = murmur32(encode_base64($d));
				    $h -= 4294967296 if $h >= 2147483648; print "$h\n"' \
				<"$base.ico" >"$base.mmh3"
		fi
		;;
	esac
done < <(py - "$truth" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
for h in t["hosts"]:
    if h["role"] not in ("provider", "tenant"):
        continue
    for p in h["open_ports"]:
        if p in (22, 2222):
            print(h["ip"], p, "ssh", 0)
        elif p in (443, 8443):
            print(h["ip"], p, "tls", 1)
            print(h["ip"], p, "http", 1)
        else:
            print(h["ip"], p, "http", 0)
EOF
)

# Every export format and `show` over a store holding the hostile strings,
# then every comparison (check_fingerprints.py).
exports_and_check() {
	mkdir -p "$work/exp"
	for f in json graphml gexf dot cytoscape stix csv; do
		"$bin" export --format "$f" --db "$work/scan.db" -o "$work/exp/out.$f"
	done
	strings_ip=$(py -c 'import json,sys; print([h["ip"] for h in json.load(open(sys.argv[1]))["hosts"] if "strings" in h.get("hostile", {}).values()][0])' "$truth")
	"$bin" show "$strings_ip" --db "$work/scan.db" >"$work/exp/show.txt"

	py "$top/tests/integration/check_fingerprints.py" "$truth" "$work/scan.jsonl" \
		"$work/o" "$work/tshark_hassh.txt" "$work/tshark_ch.txt" \
		"$work/tshark_sh.txt" "$work/time.txt" "$work/exp"
}
set +e
exports_and_check
rc=$?
set -e
if [[ $rc == 3 ]]; then
	# no mismatch, but the capture missed a connection (seen once under
	# heavy load on a 2-core machine): scan and capture once more
	echo "fingerprints_lab: oracle gaps in the capture; scanning again"
	rm -f "$work/scan.db" "$work/scan.jsonl" "$work/cap.pcapng"
	capture_scan
	set +e
	exports_and_check
	rc=$?
	set -e
fi
exit "$rc"
