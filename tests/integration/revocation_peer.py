#!/usr/bin/env python3
"""Revocation peers on 127.0.0.1 for tests/integration/revocation.sh.

    revocation_peer.py PORT ocsp INDEX CA RSIGNER RKEY [NDAYS]
        an OCSP responder: every POSTed request goes through
        `openssl ocsp -index INDEX -CA CA -rsigner RSIGNER -rkey RKEY`
        (-reqin/-respout: OpenSSL's own responder code; OpenSSL 3.0's
        -port cannot bind to 127.0.0.1 only), answers valid NDAYS days
        (default 1; 0: no nextUpdate)
    revocation_peer.py PORT replay FILE
        every POST gets the bytes of FILE (a genuine OCSP response made for
        another request)
    revocation_peer.py PORT files DIR
        GET /PATH serves DIR/PATH (CRLs and CA certificates)

Prints "ready" once listening; runs until killed.
"""
import http.server
import os
import subprocess
import sys
import tempfile


class Peer(http.server.BaseHTTPRequestHandler):
    def answer(self, body, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        req = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        mode = sys.argv[2]
        if mode == "replay":
            with open(sys.argv[3], "rb") as f:
                body = f.read()
        elif mode == "ocsp":
            index, ca, rsigner, rkey = sys.argv[3:7]
            ndays = sys.argv[7] if len(sys.argv) > 7 else "1"
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
        if sys.argv[2] != "files":
            self.send_error(405)
            return
        root = os.path.realpath(sys.argv[3])
        path = os.path.realpath(os.path.join(root, self.path.lstrip("/")))
        if not path.startswith(root + os.sep) or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            self.answer(f.read(), "application/pkix-crl")

    def log_message(self, *args):
        pass


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Peer)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
