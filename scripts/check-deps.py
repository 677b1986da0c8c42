#!/usr/bin/env python3
"""Architecture checks for make lint (DESIGN.md, "Layers"):

1. No include goes up a layer: core < pkcs11 | formats < signer < api < cli
   (pkcs11/ and formats/ never include each other).
2. No two files include each other in a loop.
3. No two source files call each other in a loop: from the object files'
   defined and undefined symbols (nm), the graph "a.c uses a function
   defined in b.c" has no cycle, and no call goes up a layer.

usage: scripts/check-deps.py [BUILD]   (3 is skipped when BUILD/obj is missing)
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRS = ["core", "pkcs11", "formats", "signer", "api", "cli"]
LAYER = {"core": 0, "pkcs11": 1, "formats": 1, "signer": 2, "api": 3, "cli": 4}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def top(path):
    return path.split("/", 1)[0]


def allowed(src, dst):
    a, b = top(src), top(dst)
    if {a, b} == {"pkcs11", "formats"}:
        return False
    return LAYER[b] <= LAYER[a]


def sources():
    out = []
    for d in DIRS:
        for base, _, files in os.walk(os.path.join(ROOT, d)):
            for f in files:
                if f.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(base, f), ROOT))
    return sorted(out)


def resolve(src, inc):
    for cand in (inc, os.path.join("core", inc), os.path.join(os.path.dirname(src), inc)):
        if os.path.isfile(os.path.join(ROOT, cand)):
            return os.path.normpath(cand)
    return None


def cycles(graph):
    """Every cycle found by depth-first search (one per back edge)."""
    found, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                found.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    sys.setrecursionlimit(10000)
    for n in sorted(graph):
        if n not in state:
            visit(n)
    return found


def symbols(build):
    """{source.c: (defined, undefined)} from BUILD/obj/**/*.o."""
    out = {}
    objdir = os.path.join(ROOT, build, "obj")
    for base, _, files in os.walk(objdir):
        for f in files:
            if not f.endswith(".o"):
                continue
            obj = os.path.join(base, f)
            src = os.path.relpath(obj, objdir)[:-2] + ".c"
            if top(src) not in LAYER:
                continue
            nm = subprocess.run(["nm", obj], capture_output=True, text=True).stdout
            defined, undefined = set(), set()
            for line in nm.splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] in "TDBR":
                    defined.add(parts[2])
                elif len(parts) == 2 and parts[0] == "U":
                    undefined.add(parts[1])
            out[src] = (defined, undefined)
    return out


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    bad = []
    inc = {}
    for src in sources():
        with open(os.path.join(ROOT, src), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for name in INCLUDE.findall(text):
            dst = resolve(src, name)
            if dst is None or top(dst) not in LAYER:
                continue
            inc.setdefault(src, set()).add(dst)
            if not allowed(src, dst):
                bad.append("%s includes %s: a layer above it" % (src, dst))
    for c in cycles(inc):
        bad.append("include loop: " + " -> ".join(c))
    syms = symbols(build)
    if syms:
        owner = {}
        for src, (defined, _) in syms.items():
            for s in defined:
                owner.setdefault(s, src)
        calls = {}
        for src, (_, undefined) in syms.items():
            for s in undefined:
                dst = owner.get(s)
                if dst is None or dst == src:
                    continue
                calls.setdefault(src, set()).add(dst)
                if not allowed(src, dst):
                    bad.append("%s calls %s (in %s): a layer above it" % (src, s, dst))
        for c in cycles(calls):
            bad.append("call loop between files: " + " -> ".join(c))
    for line in sorted(set(bad)):
        print("lint: " + line)
    return 1 if bad else 0


sys.exit(main())
