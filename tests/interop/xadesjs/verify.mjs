// node verify.mjs FILE...: verifies every ds:Signature of each file with
// xadesjs (core validation: references and signature value, key from the
// KeyInfo certificate).  Prints "FILE ok|FAIL n/m"; exit 1 if any fails.
import { readFileSync } from "node:fs";
import { verifyAll } from "./common.mjs";

let bad = 0;
for (const f of process.argv.slice(2)) {
  try {
    const r = await verifyAll(readFileSync(f, "utf8"));
    const good = r.filter((x) => x).length;
    const ok = r.length > 0 && good === r.length;
    if (!ok) bad++;
    console.log(`${f} ${ok ? "ok" : "FAIL"} ${good}/${r.length}`);
  } catch (e) {
    bad++;
    console.log(`${f} FAIL ${e.message}`);
  }
}
process.exit(bad ? 1 : 0);
