#!/usr/bin/python3
"""sweep_receiver.py: local receivers for tests/integration/sweep_lab.sh.

usage: sweep_receiver.py http SECRET_FILE PORT_FILE LOG STATUS_FILE
       sweep_receiver.py syslog SOCKET_PATH LOG

http: an HTTP server on 127.0.0.1 (a free port, written to PORT_FILE) that
checks each POST's X-Bphound-Signature (HMAC-SHA256 of "timestamp.body"
with the secret) and logs one JSON line per request to LOG: delivery,
timestamp, whether the signature verifies, the status it answered, the
uid of the process that connected (peer_uid), the body. It answers the next status listed in STATUS_FILE (one per line,
consumed), 200 when the file is empty.

syslog: a Unix datagram socket at SOCKET_PATH; one line per datagram to LOG.
Nothing here connects anywhere.
"""
import hashlib
import hmac
import http.server
import json
import os
import socket
import sys


def next_status(path):
    try:
        with open(path) as f:
            lines = [l for l in f.read().split() if l]
    except FileNotFoundError:
        lines = []
    if not lines:
        return 200
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines[1:]) + ("\n" if lines[1:] else ""))
    os.replace(path + ".tmp", path)
    return int(lines[0])


def peer_uid(client, server_port):
    """The uid owning the client's end of this loopback connection (from
    /proc/net/tcp), or None: which user the sweep's delivery ran as."""
    local = "0100007F:%04X" % client[1]
    remote = "0100007F:%04X" % server_port
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            c = line.split()
            if c[1] == local and c[2] == remote:
                return int(c[7])
    return None


def http_main(secret_file, port_file, log, status_file):
    secret = open(secret_file, "rb").read().rstrip(b"\r\n")

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            ts = self.headers.get("X-Bphound-Timestamp", "")
            sig = self.headers.get("X-Bphound-Signature", "")
            want = "sha256=" + hmac.new(secret, ts.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
            status = next_status(status_file)
            rec = {"delivery": self.headers.get("X-Bphound-Delivery"),
                   "timestamp": ts,
                   "signature_ok": hmac.compare_digest(sig, want),
                   "content_type": self.headers.get("Content-Type"),
                   "status": status,
                   "peer_uid": peer_uid(self.client_address,
                                        self.server.server_address[1]),
                   "body": body.decode("utf-8", "replace")}
            with open(log, "a") as f:
                f.write(json.dumps(rec) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(port_file + ".tmp", port_file)
    srv.serve_forever()


def syslog_main(path, log):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    while True:
        data = s.recv(1 << 20)
        with open(log, "ab") as f:
            f.write(data.replace(b"\n", b"\\n") + b"\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["http"] and len(sys.argv) == 6:
        http_main(*sys.argv[2:])
    elif sys.argv[1:2] == ["syslog"] and len(sys.argv) == 4:
        syslog_main(*sys.argv[2:])
    else:
        sys.exit(__doc__)
