#!/usr/bin/python3
"""hostile_server.py: misbehaving TCP services for the lab (stdlib only).

usage: hostile_server.py [--cert C --key K] [--pidfile F] IP:PORT:MODE...

Each IP:PORT listens with one behaviour; every accepted connection gets its
own daemon thread. Started by tests/lab/lab.sh (LAB_HOSTILE=1) inside a host
namespace; it never connects anywhere itself.

Modes:
  silent      accept, never send, never close
  trickle     an SSH banner, one byte a second, forever
  flood       endless bytes as fast as the peer reads them
  reset       accept, then close with RST (SO_LINGER 0)
  sshbanner   "SSH-2.0-" followed by a 4 MiB line without a newline
  sshlen      a valid SSH banner, then a packet whose length field says
              0x7ffffff0 bytes, a few bytes of it, then silence
  httpheader  an HTTP response whose first header line is 4 MiB long
  contentlen  an HTTP response with Content-Length: 1000000 and a short body,
              then silence (the connection stays open)
  chunked     an endless chunked HTTP page
  tlslen      answers any bytes with a TLS record header claiming 65535
              bytes, sends 100 of them, then silence
  tls         a TLS server (--cert/--key; the chain file may be huge)
              that answers HTTP requests with the "strings" page
  strings     plain HTTP, the "strings" page: a title of markup, quotes,
              control characters and invalid UTF-8
  strings2    the same with another hostile title (a sweep sees it change)
HTTP modes answer a request that does not start with an HTTP method (e.g. a
TLS ClientHello) with "400 Bad Request" and close, as nginx does.
"""
import os
import socket
import ssl
import sys
import threading
import time

BIG = 4 * 1024 * 1024
HOSTILE_TITLE = (b"<script>alert(\"x\")</script> 'q' \"dq\" &amp; "
                 b"\x01\x07\x1b[31m\x7f tab\there \xff\xfe\xc3\x28 \xed\xa0\x80 end")
STRINGS_PAGE = (b"<html><head><title>" + HOSTILE_TITLE +
                b"</title></head><body>hostile</body></html>\n")
HOSTILE_TITLE2 = (b"<img src=x onerror=alert(2)> \"'\" \r\nSubject: x\r\n"
                  b"\x00\x08\x1b]0;pwned\x07 <!channel> \xc0\xaf\xf8\x88 2")
STRINGS_PAGE2 = (b"<html><head><title>" + HOSTILE_TITLE2 +
                 b"</title></head><body>hostile</body></html>\n")
METHODS = (b"GET ", b"HEAD ", b"POST ")


def read_request(conn, limit=65536):
    """Reads until the end of the request head; returns the bytes read."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < limit:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
        if data and not any(m.startswith(data[:len(m)]) or data.startswith(m)
                            for m in METHODS):
            break
    return data


def bad_request(conn):
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                 b"Connection: close\r\n\r\n")


def drain_forever(conn):
    while conn.recv(65536):
        pass


def http_head(conn):
    """True when the peer sent an HTTP request (else answered 400)."""
    req = read_request(conn)
    if not req.startswith(METHODS):
        bad_request(conn)
        return False
    return True


def m_silent(conn, _):
    drain_forever(conn)


def m_trickle(conn, _):
    line = b"SSH-2.0-OpenSSH_9.2p1 trickle-trickle-trickle" * 100
    for b in line:
        conn.sendall(bytes([b]))
        time.sleep(1)


def m_flood(conn, _):
    block = bytes(range(256)) * 256
    while True:
        conn.sendall(block)


def m_reset(conn, _):
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    (1).to_bytes(4, "little") + (0).to_bytes(4, "little"))


def m_sshbanner(conn, _):
    conn.sendall(b"SSH-2.0-" + b"A" * BIG)
    drain_forever(conn)


def m_sshlen(conn, _):
    conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 liar\r\n")
    conn.sendall(b"\x7f\xff\xff\xf0\x04\x14" + b"\x00" * 16 + b"\x00\x00")
    drain_forever(conn)


def m_httpheader(conn, _):
    if http_head(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Huge: " + b"h" * BIG +
                     b"\r\n\r\n<title>never</title>")
        drain_forever(conn)


def m_contentlen(conn, _):
    if http_head(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n"
                     b"Content-Type: text/html\r\n\r\n<title>liar</title>")
        drain_forever(conn)


def m_chunked(conn, _):
    if http_head(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: text/html\r\n\r\n")
        chunk = b"<p>" + b"x" * 4090 + b"</p>"
        frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        while True:
            conn.sendall(frame)


def m_tlslen(conn, _):
    if conn.recv(4096):
        conn.sendall(b"\x16\x03\x03\xff\xff\x02\x00\xff\xfb" + b"\x03" * 91)
    drain_forever(conn)


def send_strings(conn, page=STRINGS_PAGE):
    conn.sendall(b"HTTP/1.1 200 OK\r\nServer: <b>\"x\"\x01</b>\r\n"
                 b"Content-Type: text/html\r\nContent-Length: %d\r\n"
                 b"Connection: close\r\n\r\n" % len(page) + page)


def m_strings(conn, _):
    if http_head(conn):
        send_strings(conn)


def m_strings2(conn, _):
    if http_head(conn):
        send_strings(conn, STRINGS_PAGE2)


def m_tls(conn, ctx):
    tconn = ctx.wrap_socket(conn, server_side=True)
    try:
        if http_head(tconn):
            send_strings(tconn)
        tconn.unwrap()
    except (ssl.SSLError, OSError):
        pass


MODES = {name[2:]: fn for name, fn in globals().items()
         if name.startswith("m_")}


def serve_one(conn, fn, ctx):
    try:
        conn.settimeout(600)
        fn(conn, ctx)
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def listen(ip, port, fn, ctx):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(256)

    def loop():
        while True:
            conn, _ = s.accept()
            threading.Thread(target=serve_one, args=(conn, fn, ctx),
                             daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def main(argv):
    cert = key = pidfile = None
    specs = []
    it = iter(argv)
    for a in it:
        if a == "--cert":
            cert = next(it)
        elif a == "--key":
            key = next(it)
        elif a == "--pidfile":
            pidfile = next(it)
        else:
            specs.append(a)
    ctx = None
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
    for spec in specs:
        ip, port, mode = spec.rsplit(":", 2)
        if mode not in MODES:
            sys.exit("hostile_server.py: unknown mode %r" % mode)
        if mode == "tls" and ctx is None:
            sys.exit("hostile_server.py: mode tls needs --cert and --key")
        listen(ip, int(port), MODES[mode], ctx)
    if pidfile:
        with open(pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1:])
