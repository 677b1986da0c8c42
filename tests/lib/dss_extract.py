#!/usr/bin/env python3
"""Write the items of a PDF's Document Security Store to files, as qpdf
reads them (an independent reader): OUTDIR/certs-N.der, ocsps-N.der,
crls-N.der.  Prints "certs N ocsps N crls N".  Usage: dss_extract.py PDF OUTDIR"""
import base64
import json
import os
import subprocess
import sys

pdf, outdir = sys.argv[1], sys.argv[2]
j = json.loads(subprocess.run(["qpdf", "--json=2", "--json-stream-data=inline", pdf],
                              check=True, capture_output=True).stdout)
objs = j["qpdf"][1]


def get(ref):
    return objs.get("obj:" + ref) if isinstance(ref, str) and ref.endswith(" R") else None


def val(v):
    o = get(v)
    return o["value"] if o is not None and "value" in o else v


root = val(objs["trailer"]["value"]["/Root"])
dss = val(root.get("/DSS", {}))
counts = []
for key, name in (("/Certs", "certs"), ("/OCSPs", "ocsps"), ("/CRLs", "crls")):
    items = val(dss.get(key, []))
    for i, ref in enumerate(items):
        data = base64.b64decode(get(ref)["stream"]["data"])
        with open(os.path.join(outdir, "%s-%d.der" % (name, i)), "wb") as f:
            f.write(data)
    counts.append("%s %d" % (name, len(items)))
print(" ".join(counts))
