#!/usr/bin/env python3
"""Structure-aware fuzzer of incremental updates to signed PDFs.

Each case takes a kyso-signed transcript (the bases of tests/lib/pdfforge.py,
objects planted before signing) and appends one random update: references
re-pointed to other objects (planted ones included), new references from
where viewers look (/Annots, /AP, /Contents, /Resources, /Names, /OpenAction,
/Kids, /Parent, /V...), objects copied or redefined with altered content,
objects freed, trailer edits (/Root, /Info, repeated keys).  The rendering
oracle (tests/lib/pdforacle.py) then checks kyso's verdict: whenever what
poppler draws, writes or runs differs, every earlier signature must fail or
list a permitted change with its page and place.  A crash, a timeout or a
missing report is a finding too.

usage:
  pades_updates.py KYSO PKI SAMPLE --seconds N [--out DIR]   fuzz; keeps the
        seeds of the cases whose rendering changed in DIR/seeds.txt and
        every finding in DIR/finding-SEED.pdf
  pades_updates.py KYSO PKI SAMPLE --replay SEEDS.txt [--max N]   TAP
"""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import pdfforge as F  # noqa: E402
import pdforacle as O  # noqa: E402
import pdfupd as U  # noqa: E402

BASES = [("plain", ["--certify", "1"]), ("plain", []), ("plain", ["--certify", "3"]),
         ("form", ["--certify", "2", "--field", "GVCN"]),
         ("form", ["--field", "GVCN", "--lock", "include:DiemTB"]),
         ("backlink", ["--certify", "1"]), ("undef", ["--certify", "2"]), ("undef", [])]
KEYS = [b"Annots", b"AP", b"Contents", b"Resources", b"XObject", b"Font", b"Names", b"OpenAction",
        b"AA", b"Kids", b"Parent", b"V", b"DR", b"Pages", b"AcroForm", b"N", b"P", b"Data",
        b"Lock", b"Popup", b"StructTreeRoot", b"Outlines", b"MK", b"A"]
REF = re.compile(rb"(?<![0-9])(\d+) 0 R")


def dict_objects(data):
    return [n for n in U.objects(data) if U.body(data, n).lstrip().startswith(b"<<")]


def mutate(rng, data):
    """One update of 1 to 4 random operations; returns (bytes, description)."""
    objs = sorted(U.objects(data))
    dicts = dict_objects(data)
    defs, free, trailer, what = {}, [], None, []
    nxt = U.next_free(data)

    def cur(n):
        return defs[n] if n in defs else U.body(data, n)

    for _ in range(rng.randint(1, 4)):
        op = rng.choice(["repoint", "newref", "annot", "copy", "edit", "free", "trailer",
                         "array", "dangle"])
        if op == "repoint":
            n = rng.choice(dicts)
            refs = list(REF.finditer(cur(n)))
            if not refs:
                continue
            m = rng.choice(refs)
            to = rng.choice(objs)
            defs[n] = cur(n)[:m.start()] + b"%d 0 R" % to + cur(n)[m.end():]
            what.append("%d: %s -> %d" % (n, m.group(0).decode(), to))
        elif op == "newref":
            n, key, to = rng.choice(dicts), rng.choice(KEYS), rng.choice(objs)
            defs[n] = U.set_key(cur(n), key, b"%d 0 R" % to)
            what.append("%d: /%s %d 0 R" % (n, key.decode(), to))
        elif op == "dangle":
            # a reference to a number no xref defines (one is defined only
            # inside a planted stream)
            to = rng.choice([F.HIDDEN, nxt + 7, 999])
            n, key = rng.choice(dicts), rng.choice(KEYS)
            defs[n] = U.set_key(cur(n), key, b"%d 0 R" % to) if rng.random() < 0.5 else \
                cur(n)
            defs[3] = U.add_to_array(cur(3), b"Annots", b"%d 0 R" % to)
            what.append("dangling reference to %d" % to)
        elif op == "annot":
            to = rng.choice(objs)
            defs[3] = U.add_to_array(cur(3), b"Annots", b"%d 0 R" % to)
            what.append("page /Annots += %d" % to)
        elif op == "array":
            n, key, to = rng.choice(dicts), rng.choice([b"Kids", b"Fields", b"Annots"]), \
                rng.choice(objs)
            defs[n] = U.add_to_array(cur(n), key, b"%d 0 R" % to)
            what.append("%d: /%s += %d" % (n, key.decode(), to))
        elif op == "copy":
            src = rng.choice(objs)
            defs[nxt] = cur(src)
            n = rng.choice(dicts)
            refs = list(REF.finditer(cur(n)))
            if refs:
                m = rng.choice(refs)
                defs[n] = cur(n)[:m.start()] + b"%d 0 R" % nxt + cur(n)[m.end():]
            what.append("copy %d as %d" % (src, nxt))
            nxt += 1
        elif op == "edit":
            n = rng.choice(objs)
            b = cur(n)
            digits = [m.start() for m in re.finditer(rb"[0-9]", b)]
            if not digits:
                continue
            i = rng.choice(digits)
            new = b[:i] + bytes([48 + rng.randrange(10)]) + b[i + 1:]
            if b"stream" in new:
                head, rest = new.split(b"stream", 1)
                content = rest.rsplit(b"endstream", 1)[0].strip(b"\r\n")
                new = re.sub(rb"/Length \d+", b"/Length %d" % len(content), head) + \
                    b"stream\n" + content + b"\nendstream"
            defs[n] = new
            what.append("edit %d" % n)
        elif op == "free":
            n = rng.choice(objs)
            free.append(n)
            defs.pop(n, None)
            what.append("free %d" % n)
        elif op == "trailer":
            choice = rng.randrange(3)
            root = U.trailer_ref(data, b"Root").decode()
            if choice == 0:
                trailer = b"/Size %d /Root %d 0 R /Info 7 0 R" % (nxt + 1, rng.choice(dicts))
            elif choice == 1:
                trailer = b"/Size %d /Root %s /Info %d 0 R" % (nxt + 1, root.encode(),
                                                               rng.choice(dicts))
            else:
                trailer = b"/Size %d /Root %s /Info 7 0 R /Root %d 0 R" % (
                    nxt + 1, root.encode(), rng.choice(dicts))
            what.append("trailer " + trailer.decode())
    free = [n for n in free if n not in defs]
    size = max([nxt] + list(defs) + free + objs) + 1
    if trailer is None:
        trailer = b"/Size %d /Root %s /Info 7 0 R" % (size, U.trailer_ref(data, b"Root"))
    return U.update(data, defs, trailer=trailer, free=free), "; ".join(what)


class Runner:
    def __init__(self, kyso, pki, sample, tmp):
        self.kyso, self.pki, self.tmp = kyso, pki, tmp
        with open(sample, "rb") as f:
            self.sample = f.read()
        self.signed = {}

    def base(self, i):
        if i not in self.signed:
            kind, opts = BASES[i]
            src = os.path.join(self.tmp, "base%d.pdf" % i)
            with open(src, "wb") as f:
                f.write(F.base(kind, self.sample))
            dst = os.path.join(self.tmp, "signed%d.pdf" % i)
            who = "principal-rsa"
            subprocess.run([self.kyso, "sign", "--key-file", "%s/%s.key.pem" % (self.pki, who),
                            "--cert", "%s/%s.cert.pem" % (self.pki, who), "--chain",
                            "%s/%s.chain.pem" % (self.pki, who), "--in", src, "--out", dst] + opts,
                           check=True, capture_output=True)
            with open(dst, "rb") as f:
                data = f.read()
            self.signed[i] = (data, O.view(dst))
        return self.signed[i]

    def case(self, seed):
        """(finding or None, rendering changed, description, bytes)."""
        rng = random.Random(seed)
        i = rng.randrange(len(BASES))
        data, before = self.base(i)
        after, what = mutate(rng, data)
        path = os.path.join(self.tmp, "case.pdf")
        with open(path, "wb") as f:
            f.write(after)
        try:
            code, rep = O.kyso_json(self.kyso, path, os.path.join(self.pki, "root.pem"))
        except Exception as e:  # noqa: BLE001 - any failure to run is a finding
            return "kyso did not run: %s" % e, True, what, after
        if code not in (0, 1, 2, 4):
            return "kyso exit %d" % code, True, what, after
        view = O.view(path)
        changed = view != before
        finding = O.check(before, view, rep, 1)
        # What a viewer shows changed after signing: never "authentic and
        # unchanged" (exit 0).
        if finding is None and changed and code == 0:
            finding = "the view changed, and kyso says authentic and unchanged (exit 0)"
        return finding, changed, "base %d: %s" % (i, what), after


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kyso")
    ap.add_argument("pki")
    ap.add_argument("sample")
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--out", default="build/fuzz-pades-updates")
    ap.add_argument("--replay")
    ap.add_argument("--max", type=int, default=0)
    ap.add_argument("--start", type=int, default=int(time.time()))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = Runner(a.kyso, a.pki, a.sample, tmp)
        if a.replay:
            with open(a.replay) as f:
                seeds = [int(l) for l in f if l.strip() and not l.startswith("#")]
            if a.max:
                seeds = seeds[:a.max]
            print("1..%d" % len(seeds))
            bad = 0
            for k, seed in enumerate(seeds, 1):
                finding, _, what, _ = r.case(seed)
                print("%s %d - seed %d%s" % ("not ok" if finding else "ok", k, seed,
                                              (": " + finding) if finding else ""))
                if finding:
                    bad += 1
                    print("# " + what)
            return 1 if bad else 0
        os.makedirs(a.out, exist_ok=True)
        end = time.time() + (a.seconds or 60)
        seed, runs, changed, findings = a.start, 0, 0, 0
        with open(os.path.join(a.out, "seeds.txt"), "a") as keep:
            while time.time() < end:
                finding, diff, what, data = r.case(seed)
                runs += 1
                if diff:
                    changed += 1
                    keep.write("%d\n" % seed)
                if finding:
                    findings += 1
                    with open(os.path.join(a.out, "finding-%d.pdf" % seed), "wb") as f:
                        f.write(data)
                    print("FINDING seed %d: %s\n  %s" % (seed, finding, what))
                    sys.stdout.flush()
                seed += 1
        print("%d cases, %d changed what a viewer shows, %d findings" % (runs, changed, findings))
        return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
