// Shared by the xadesjs peer scripts: xadesjs wired to Node's WebCrypto
// and to @xmldom/xmldom, and PEM helpers for the test PKI.
import * as xadesjs from "xadesjs";
import * as xmldom from "@xmldom/xmldom";
import xpath from "xpath";
import { readFileSync } from "node:fs";

xadesjs.setNodeDependencies({
  XMLSerializer: xmldom.XMLSerializer,
  DOMParser: xmldom.DOMParser,
  DOMImplementation: xmldom.DOMImplementation,
  xpath,
});
xadesjs.Application.setEngine("NodeJS", globalThis.crypto);

export { xadesjs };

export function pemBody(path) {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("-----"))
    .join("");
}

export function pemDer(path) {
  return Buffer.from(pemBody(path), "base64");
}

export async function importKey(path, ec) {
  const alg = ec
    ? { name: "ECDSA", namedCurve: "P-256" }
    : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  return globalThis.crypto.subtle.importKey("pkcs8", pemDer(path), alg, false, ["sign"]);
}

export async function verifyAll(text) {
  const doc = xadesjs.Parse(text);
  const sigs = doc.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "Signature");
  const results = [];
  for (let i = 0; i < sigs.length; i++) {
    const s = new xadesjs.SignedXml(doc);
    s.LoadXml(sigs[i]);
    results.push(await s.Verify());
  }
  return results;
}

export async function signEnveloped(text, keyPath, certPath, chainPath, ec, role) {
  const doc = xadesjs.Parse(text);
  const key = await importKey(keyPath, ec);
  const cert = pemBody(certPath);
  const signed = new xadesjs.SignedXml();
  const sig = await signed.Sign(
    ec ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSASSA-PKCS1-v1_5" },
    key,
    doc,
    {
      x509: [cert, pemBody(chainPath)],
      signingCertificate: cert,
      references: [{ uri: "", hash: "SHA-256", transforms: ["enveloped", "exc-c14n"] }],
      signerRole: role ? { claimed: [role] } : undefined,
    },
  );
  doc.documentElement.appendChild(sig.GetXml());
  return new xmldom.XMLSerializer().serializeToString(doc);
}
