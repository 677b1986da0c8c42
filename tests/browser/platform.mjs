// A tiny school platform for the agent's browser test: a page and its
// backend on a loopback port.  The backend prepares each document with
// the daemon (POST /v1/sign/prepare, the certificate the page chose on
// the agent), and completes each with the signature the agent gave
// (POST /v1/sign/complete), writing the signed documents to OUTDIR.
// The page talks to the agent (certificates, the batch, the poll) and
// opens the agent's confirmation page; it never sees a PIN.
//
// usage: node platform.mjs DAEMON_URL TOKEN CHAIN_PEM OUTDIR DOC...
// prints "platform: listening on http://127.0.0.1:PORT" once it listens.
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const [daemon, token, chainPem, outdir, ...docs] = process.argv.slice(2);
const chain = readFileSync(chainPem).toString('base64');
const prepared = new Map(); // daemon id -> document name

const page = `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Nền tảng trường học (thử)</title></head>
<body><h1>Ký học bạ</h1>
<p>Chứng thư: <select id="cert"></select></p>
<button id="sign" disabled>Ký ${docs.length} văn bản</button>
<p id="status">Đang tìm phần mềm ký…</p>
<script src="/app.js"></script></body></html>`;

// The platform's own page script (the integration docs/agent.md shows).
const app = `
const agent = new URLSearchParams(location.search).get('agent');
const status = (t) => { document.getElementById('status').textContent = t; };
async function call(path, init) {
  const r = await fetch(agent + path, init);
  if (!r.ok) throw new Error(path + ': ' + r.status);
  return r.json();
}
async function load() {
  try {
    const v = await call('/v1/version');
    const { certificates } = await call('/v1/certificates');
    const sel = document.getElementById('cert');
    for (const c of certificates) {
      const o = document.createElement('option');
      o.value = c.id; o.textContent = c.subject; o.dataset.pem = c.pem;
      sel.appendChild(o);
    }
    document.getElementById('sign').disabled = certificates.length === 0;
    status('Sẵn sàng (' + v.name + ' ' + v.version + '): ' + certificates.length + ' chứng thư');
  } catch (e) { status('Lỗi: ' + e.message); }
}
async function sign() {
  // opened now, while the click counts as the user's: popups need it
  const popup = window.open('about:blank', 'kyso-agent', 'popup,width=640,height=720');
  try {
    const sel = document.getElementById('cert');
    const pem = sel.selectedOptions[0].dataset.pem;
    const prep = await (await fetch('/api/prepare', { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ certificate: pem }) })).json();
    const batch = await call('/v1/sign', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: sel.value, items: prep.items.map((i) => ({ label: i.label,
        digest: i.digest, algorithm: i.algorithm, scheme: i.scheme })) }) });
    popup.location = batch.confirm_url;
    status('Chờ xác nhận trên phần mềm ký…');
    let s;
    for (;;) {
      await new Promise((res) => setTimeout(res, 300));
      s = await call('/v1/sign/' + batch.id);
      if (s.status !== 'pending' && s.status !== 'signing') break;
    }
    if (s.status !== 'done') { status('Không ký: ' + s.status); return; }
    const done = await (await fetch('/api/complete', { method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ results: prep.items.map((i, k) => ({ id: i.id,
        signature: s.signatures[k].signature })) }) })).json();
    status('Hoàn tất: ' + done.completed + '/' + prep.items.length);
  } catch (e) { status('Lỗi: ' + e.message); }
}
document.getElementById('sign').addEventListener('click', sign);
load();
`;

async function daemonPost(path, body) {
  const r = await fetch(daemon + path, { method: 'POST',
    headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(path + ' ' + r.status + ' ' + JSON.stringify(j));
  return j;
}

async function readBody(req) {
  const parts = [];
  for await (const c of req) parts.push(c);
  return JSON.parse(Buffer.concat(parts).toString());
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url.split('?')[0] === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(page);
    }
    if (req.method === 'GET' && req.url === '/app.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      return res.end(app);
    }
    if (req.method === 'POST' && req.url === '/api/prepare') {
      const { certificate } = await readBody(req);
      const items = [];
      for (const d of docs) {
        const p = await daemonPost('/v1/sign/prepare', { document: readFileSync(d).toString('base64'),
          name: basename(d), certificate: Buffer.from(certificate).toString('base64'), chain });
        prepared.set(p.id, basename(d));
        items.push({ id: p.id, label: 'Học bạ: ' + basename(d), digest: p.digest,
          algorithm: p.algorithm, scheme: p.scheme });
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ items }));
    }
    if (req.method === 'POST' && req.url === '/api/complete') {
      const { results } = await readBody(req);
      let completed = 0;
      for (const r of results) {
        const c = await daemonPost('/v1/sign/complete', { id: r.id, signature: r.signature });
        writeFileSync(outdir + '/' + prepared.get(r.id), Buffer.from(c.document, 'base64'));
        completed++;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ completed }));
    }
    res.writeHead(404);
    res.end();
  } catch (e) {
    console.error('platform:', e.message);
    res.writeHead(500, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: e.message }));
  }
});
server.listen(0, '127.0.0.1', () => {
  console.log('platform: listening on http://127.0.0.1:' + server.address().port);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
