// node bench.mjs DOC SIGNED KEY CERT CHAIN SECONDS: xadesjs XAdES-BES
// signatures per second of DOC (enveloped, RSA-2048 PKCS#1 v1.5,
// SHA-256, exclusive C14N), then verifications per second of SIGNED
// (a kyso signature of the same document), in this one Node process
// (parse, sign or verify, serialize, as kyso's in-process loop).
// Prints "xadesjs_sign <n/s>" and "xadesjs_verify <n/s>".
import { readFileSync } from "node:fs";
import { signEnveloped, verifyAll } from "./common.mjs";

const [doc, signedPath, key, cert, chain, secs] = process.argv.slice(2);
const text = readFileSync(doc, "utf8");
const signed = readFileSync(signedPath, "utf8");
const limit = Number(secs) * 1000;

async function rate(fn) {
  await fn(); // warm-up (JIT)
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < limit) {
    await fn();
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

const s = await rate(() => signEnveloped(text, key, cert, chain, false));
console.log(`xadesjs_sign ${s.toFixed(1)}`);
const v = await rate(async () => {
  const r = await verifyAll(signed);
  if (!r.every((x) => x)) throw new Error("verification failed");
});
console.log(`xadesjs_verify ${v.toFixed(1)}`);
