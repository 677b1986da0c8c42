#!/usr/bin/env python3
"""A misbehaving RFC 3161 peer for tests/integration/tsa.sh.

Listens on 127.0.0.1 (any free port), prints the port, then answers every
POST as its mode says:

  replay FILE              the bytes of FILE: a genuine TimeStampResp made
                           for another request
  sleep SECONDS            nothing until SECONDS have passed
  resign CONF CERT KEY     a genuine reply to this very request (`openssl ts
                           -reply -config CONF`), its TSTInfo then signed
                           again by CERT/KEY (`openssl cms -sign -cades`):
                           right imprint and nonce, wrong signer
"""
import http.server
import os
import subprocess
import sys
import tempfile
import time


def der_seq(content):
    n = len(content)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return b"\x30" + head + content


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def resign(req, conf, cert, key):
    with tempfile.TemporaryDirectory() as d:
        q, good, tok = (os.path.join(d, n) for n in ("q.tsq", "good.tsr", "tok.der"))
        tst, bad = os.path.join(d, "tst.der"), os.path.join(d, "bad.der")
        with open(q, "wb") as f:
            f.write(req)
        run("openssl", "ts", "-reply", "-config", conf, "-queryfile", q, "-out", good)
        run("openssl", "ts", "-reply", "-in", good, "-token_out", "-out", tok)
        run("openssl", "cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in", tok,
            "-out", tst)
        run("openssl", "cms", "-sign", "-binary", "-nodetach", "-cades", "-nosmimecap",
            "-md", "sha256", "-econtent_type", "1.2.840.113549.1.9.16.1.4", "-in", tst,
            "-signer", cert, "-inkey", key, "-outform", "DER", "-out", bad)
        with open(bad, "rb") as f:
            token = f.read()
    return der_seq(b"\x30\x03\x02\x01\x00" + token)


class Peer(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        req = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        mode = sys.argv[1]
        if mode == "sleep":
            time.sleep(float(sys.argv[2]))
            body = b""
        elif mode == "replay":
            with open(sys.argv[2], "rb") as f:
                body = f.read()
        else:
            body = resign(req, *sys.argv[2:5])
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout tests)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Peer)
print(server.server_address[1], flush=True)
server.serve_forever()
