#!/usr/bin/env python3
"""Revocation peers on 127.0.0.1 for tests/integration/revocation.sh.

One process, driven by commands on standard input (one per line), so that
peers come and go without starting an interpreter each time:

    up PORT ocsp INDEX CA RSIGNER RKEY NDAYS
        an OCSP responder: every POSTed request goes through
        `openssl ocsp -index INDEX -CA CA -rsigner RSIGNER -rkey RKEY`
        (-reqin/-respout: OpenSSL's own responder; OpenSSL 3.0's -port
        cannot bind to 127.0.0.1 only); answers valid NDAYS days (0: no
        nextUpdate)
    up PORT replay FILE
        every POST gets the bytes of FILE (a genuine OCSP response made
        for another request)
    up PORT files DIR
        GET /PATH serves DIR/PATH (CRLs and CA certificates)
    down PORT
        stop listening: connections are refused again

After each command it prints "done N" (N counts commands) or "fail N
MESSAGE"; it ends at end of input.
"""
import errno
import http.server
import os
import subprocess
import sys
import tempfile
import threading
import time


class Peer(http.server.BaseHTTPRequestHandler):
    conf = []

    def answer(self, body, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        req = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        mode = self.conf[0]
        if mode == "replay":
            with open(self.conf[1], "rb") as f:
                body = f.read()
        elif mode == "ocsp":
            index, ca, rsigner, rkey, ndays = self.conf[1:6]
            with tempfile.TemporaryDirectory() as d:
                q, r = os.path.join(d, "q.der"), os.path.join(d, "r.der")
                with open(q, "wb") as f:
                    f.write(req)
                cmd = ["openssl", "ocsp", "-index", index, "-CA", ca, "-rsigner", rsigner,
                       "-rkey", rkey, "-reqin", q, "-respout", r]
                if ndays != "0":
                    cmd += ["-ndays", ndays]
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                with open(r, "rb") as f:
                    body = f.read()
        else:
            self.send_error(405)
            return
        self.answer(body, "application/ocsp-response")

    def do_GET(self):
        if self.conf[0] != "files":
            self.send_error(405)
            return
        root = os.path.realpath(self.conf[1])
        path = os.path.realpath(os.path.join(root, self.path.lstrip("/")))
        if not path.startswith(root + os.sep) or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            self.answer(f.read(), "application/pkix-crl")

    def log_message(self, *args):
        pass


servers = {}


def down(port):
    srv = servers.pop(port, None)
    if srv is not None:
        srv.shutdown()
        srv.server_close()


def up(port, conf):
    down(port)
    handler = type("Peer%d" % port, (Peer,), {"conf": conf})
    # The test PKI's ports are shared by every checkout on the machine: a
    # port another test holds is waited for (10 s), then reported.
    for attempt in range(100):
        try:
            srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
            break
        except OSError as e:
            if e.errno != errno.EADDRINUSE or attempt == 99:
                raise OSError("127.0.0.1:%d: %s (another test using the test PKI's ports?)"
                              % (port, e.strerror))
            time.sleep(0.1)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    servers[port] = srv


def main():
    n = 0
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        n += 1
        try:
            if words[0] == "up":
                up(int(words[1]), words[2:])
            elif words[0] == "down":
                down(int(words[1]))
            else:
                raise ValueError("unknown command " + words[0])
            print("done %d" % n, flush=True)
        except Exception as e:  # reported to the script, which fails the test
            print("fail %d %s" % (n, e), flush=True)
    for port in list(servers):
        down(port)


if __name__ == "__main__":
    main()
