#!/usr/bin/env python3
"""kyso agent --pin-prompt tty on a pseudo-terminal: a batch is shown on
the agent's terminal, approved there and the PIN typed there (no echo);
the platform's poll then gets the signatures.  Prints TAP lines (no plan:
agent.sh numbers them).

usage: agent_tty.py KYSO ORIGIN CERT_ID PIN DIGEST_FILE...
"""
import json
import os
import pty
import re
import select
import sys
import time
import urllib.request

kyso, origin, cert_id, pin = sys.argv[1:5]
digests = sys.argv[5:]
failed = 0


def ok(cond, name, detail=""):
    global failed
    print(("ok" if cond else "not ok") + " - " + name)
    if not cond:
        failed += 1
        for line in str(detail)[:800].splitlines():
            print("# " + line)


def read_until(fd, pattern, timeout=15.0):
    """Read the terminal until pattern (bytes regex) shows; all read so far."""
    out = b""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if re.search(pattern, out):
                return out
    return out


def call(url, path, body=None):
    req = urllib.request.Request(url + path, method="POST" if body else "GET",
                                 data=json.dumps(body).encode() if body else None,
                                 headers={"Origin": origin, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read())


env = dict(os.environ)
env.pop("KYSO_PIN", None)
pid, fd = pty.fork()
if pid == 0:
    # the agent, with the pseudo-terminal as its controlling terminal
    os.execve(kyso, [kyso, "agent", "--listen", "127.0.0.1:0", "--origin", origin,
                     "--key", "pkcs11:token=principal;object=tok-principal-rsa",
                     "--pin-prompt", "tty"], env)
transcript = b""
try:
    out = read_until(fd, rb"listening on http://127\.0\.0\.1:\d+/")
    transcript += out
    m = re.search(rb"listening on (http://127\.0\.0\.1:\d+)/", out)
    ok(m is not None, "kyso agent --pin-prompt tty starts on a terminal", out.decode(errors="replace"))
    if m is None:
        sys.exit(1)
    url = m.group(1).decode()
    items = [{"label": "Sổ đầu bài 10A%d - tiết %d" % (i + 1, i + 1),
              "digest": __import__("base64").b64encode(open(d, "rb").read()).decode(),
              "algorithm": "SHA-256"} for i, d in enumerate(digests)]
    status, batch = call(url, "/v1/sign", {"key": cert_id, "items": items})
    ok(status == 202 and batch.get("prompt") == "tty" and "confirm_url" not in batch,
       "the batch waits for the terminal (no confirmation URL)", batch)
    out = read_until(fd, rb"\[y/N\] ")
    transcript += out
    text = out.decode(errors="replace")
    ok(("asks to sign %d documents" % len(items)) in text and all(i["label"] in text for i in items),
       "the terminal shows the platform, the count and every label", text)
    os.write(fd, b"y\n")
    out = read_until(fd, rb"PIN for token 'principal': ")
    transcript += out
    ok(b"PIN for token 'principal'" in out, "then asks for the token's PIN on the terminal", out)
    os.write(fd, pin.encode() + b"\n")
    done = None
    for _ in range(100):
        _, s = call(url, "/v1/sign/" + batch["id"])
        if s["status"] not in ("pending", "signing"):
            done = s
            break
        time.sleep(0.1)
    transcript += read_until(fd, rb"agent: signed .*%d/%d" % (len(items), len(items)), 5)
    ok(done is not None and done["status"] == "done" and len(done["signatures"]) == len(items),
       "the poll gets a signature per item", done)
    ok(pin.encode() not in transcript, "the PIN was not echoed on the terminal")
finally:
    os.kill(pid, 15)
    transcript += read_until(fd, rb"stopped", 10)
    _, st = os.waitpid(pid, 0)
ok(os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0 and b"token logged out" in transcript,
   "SIGTERM: the agent logs the token out and exits 0", transcript[-400:])
sys.exit(1 if failed else 0)
