// node sign.mjs IN OUT KEY CERT CHAIN [ec] [ROLE]: an enveloped XAdES-BES
// made by xadesjs (SigningCertificate, SigningTime, KeyInfo with the
// certificate and its issuing CA).
import { readFileSync, writeFileSync } from "node:fs";
import { signEnveloped } from "./common.mjs";

const [inp, out, key, cert, chain, kind, role] = process.argv.slice(2);
const text = readFileSync(inp, "utf8");
writeFileSync(out, await signEnveloped(text, key, cert, chain, kind === "ec", role));
