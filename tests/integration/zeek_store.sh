#!/usr/bin/env bash
# export --format zeek-intel from a store (cli/report.c, store/store_sweep.c
# bph_store_hosts_each): the store reads every member's records in one pass,
# in its own order, and each host's certificate SHA-1s and host-key MD5s
# still come in the order its scans stored them (scan, then port), each
# value once per cluster. The records are imported in another order than
# that. No network: a store in a temporary folder.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BPH_BUILD:-$top/build}/bphound
work=$(mktemp -d /tmp/bph-zeek.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
h() { printf "%040d" "$1"; } # a certificate SHA-1
s() { printf "%064d" "$1"; } # a certificate SHA-256
tls() { # tls IP PORT SEEN SHA1 SHA256
	printf '{"ip":"%s","port":%s,"state":"open","seen":%s,"proto":"tls","tls":{"cert_sha1":"%s","cert_sha256":"%s"}}\n' \
		"$1" "$2" "$3" "$4" "$5"
}
# scan 1: 198.18.0.1 on 8443, 22 and 443 (not in port order); 198.18.0.2
# shares 443's certificate (one cluster); 198.18.0.3 alone (not written)
{
	tls 198.18.0.1 8443 1795000000 "$(h 2)" "$(s 2)"
	printf '{"ip":"198.18.0.1","port":22,"state":"open","seen":1795000000,"proto":"ssh","ssh":{"banner":"SSH-2.0-x","hostkeys":[{"type":"ssh-ed25519","sha256":"SHA256:k1","md5":"MD5:9a:2f:3c:44:5d:6e:7f:80:91:a2:b3:c4:d5:e6:f7:08"}]}}\n'
	tls 198.18.0.1 443 1795000000 "$(h 1)" "$(s 1)"
	tls 198.18.0.2 443 1795000000 "$(h 3)" "$(s 1)"
	tls 198.18.0.3 443 1795000000 "$(h 9)" "$(s 9)"
} >"$work/a.jsonl"
# scan 2, later: 198.18.0.1 on 443 with a new certificate, and the first
# one again on 8443 (written once)
{
	tls 198.18.0.1 8443 1795100000 "$(h 1)" "$(s 1)"
	tls 198.18.0.1 443 1795100000 "$(h 4)" "$(s 4)"
} >"$work/b.jsonl"
"$bin" import "$work/a.jsonl" --db "$work/s.db" -q
"$bin" import "$work/b.jsonl" --db "$work/s.db" -q
"$bin" export --format zeek-intel --db "$work/s.db" -o "$work/z.intel" -q
got=$(cut -f1,2 "$work/z.intel" | tr '\t' ' ')
want="#fields indicator
198.18.0.1 Intel::ADDR
198.18.0.2 Intel::ADDR
9a:2f:3c:44:5d:6e:7f:80:91:a2:b3:c4:d5:e6:f7:08 Intel::PUBKEY_HASH
$(h 1) Intel::CERT_HASH
$(h 2) Intel::CERT_HASH
$(h 4) Intel::CERT_HASH
$(h 3) Intel::CERT_HASH"
[ "$got" = "$want" ] || fail "zeek-intel:
$got
want:
$want"
echo "zeek_store: each host's hashes in scan and port order, each once"
