// kyso agent in Debian's headless Chromium, driven by playwright-core:
// the platform's page (a second loopback port) lists the certificates of
// the token through the agent, hands it a batch prepared by the daemon,
// the principal types the PIN into the agent's own confirmation popup,
// the page polls for the signatures and its backend completes the
// documents with the daemon.  A page of a platform the agent does not
// serve is refused.  Every HTTP exchange is recorded: the PIN goes to the
// agent's own page and nowhere else.  Prints TAP.
//
// usage: node agent.mjs PLATFORM_URL ROGUE_URL AGENT_URL PIN COUNT SUBJECT SHOTS
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const [platform, rogue, agent, pin, count, subject, shots] = process.argv.slice(2);
const browserPath = process.env.KYSO_CHROMIUM || '/usr/bin/chromium';
mkdirSync(shots, { recursive: true });

let n = 0;
function ok(cond, name, detail) {
  n++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond && detail !== undefined) console.log(`# ${String(detail).slice(0, 600).replace(/\n/g, '\n# ')}`);
}

// Every exchange: url, method, request body, status, response body.
const log = [];
function record(ctx) {
  ctx.on('request', (r) => log.push({ dir: 'request', url: r.url(), method: r.method(), body: r.postData() || '' }));
  ctx.on('response', async (r) => {
    let body = '';
    try { body = (await r.body()).toString('latin1'); } catch { body = ''; }
    log.push({ dir: 'response', url: r.url(), status: r.status(), body });
  });
}

const browser = await chromium.launch({
  executablePath: browserPath,
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run', '--disable-default-apps'],
});
try {
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    return u.hostname === '127.0.0.1' ? route.continue() : route.abort();
  });
  record(ctx);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  // --- the platform's page lists the token's certificates through the agent
  await page.goto(`${platform}/?agent=${encodeURIComponent(agent)}`);
  await page.waitForFunction(() => /Sẵn sàng|Lỗi/.test(document.getElementById('status').textContent), null, { timeout: 15000 });
  const ready = await page.textContent('#status');
  ok(/Sẵn sàng/.test(ready), 'the platform page reaches the agent (version, certificates)', ready);
  const options = await page.$$eval('#cert option', (os) => os.map((o) => o.textContent));
  ok(options.some((o) => o.includes(subject)), "the token's certificate is listed by subject", options.join(' | '));
  await page.selectOption('#cert', { label: options.find((o) => o.includes(subject)) });

  // --- the batch: the agent's popup shows it and takes the PIN
  const popupP = page.waitForEvent('popup');
  await page.click('#sign');
  const popup = await popupP;
  await popup.waitForURL(/\/confirm\/[0-9a-f]{32}$/, { timeout: 15000 });
  const pu = new URL(popup.url());
  ok(pu.origin === new URL(agent).origin, "the confirmation opens on the agent's own origin", popup.url());
  await popup.waitForSelector('#labels');
  const labels = await popup.$$eval('#labels li', (ls) => ls.map((l) => l.textContent));
  ok(labels.length === Number(count) && labels.every((l) => l.startsWith('Học bạ: ')),
     `the popup lists the ${count} documents by label`, labels.join(' | '));
  ok((await popup.textContent('#count')) === count, 'the popup states the count');
  ok((await popup.textContent('#origin')) === platform, 'the popup names the platform asking', await popup.textContent('#origin'));
  const cssOk = await popup.$eval('button[value=approve]', (b) => getComputedStyle(b).backgroundColor);
  ok(cssOk === 'rgb(11, 83, 148)', "the popup's stylesheet applies under its CSP", cssOk);
  await popup.screenshot({ path: `${shots}/agent-confirm.png`, fullPage: true });
  // the platform cannot read or script the popup (another origin)
  const peek = await page.evaluate(() => {
    try { return window.open('', 'kyso-agent').document.body.innerHTML; } catch (e) { return 'blocked'; }
  });
  ok(peek === 'blocked', "the platform's page cannot read the agent's page", peek.slice(0, 100));
  ok(!(await page.content()).includes('type="password"'), 'the platform page has no PIN field');

  await popup.fill('#pin', pin);
  await Promise.all([popup.waitForNavigation(), popup.click('button[value=approve]')]);
  const result = await popup.textContent('#result');
  ok(/Đã ký/.test(result || ''), 'the agent signs after the PIN is typed into its own page', result);
  await popup.screenshot({ path: `${shots}/agent-done.png`, fullPage: true });

  await page.waitForFunction(() => /Hoàn tất|Không ký|Lỗi/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
  const done = await page.textContent('#status');
  ok(done === `Hoàn tất: ${count}/${count}`, 'the page polls the signatures and the daemon completes every document', done);
  await page.screenshot({ path: `${shots}/agent-platform.png`, fullPage: true });
  ok(errors.length === 0, 'no script error on the platform page', errors.join(' | '));

  // --- a platform the agent does not serve
  const other = await ctx.newPage();
  const failed = [];
  other.on('requestfailed', (r) => failed.push(r.url()));
  await other.goto(`${rogue}/?agent=${encodeURIComponent(agent)}`);
  await other.waitForFunction(() => /Sẵn sàng|Lỗi/.test(document.getElementById('status').textContent), null, { timeout: 15000 });
  const st = await other.textContent('#status');
  ok(/^Lỗi/.test(st) && (await other.$$('#cert option')).length === 0,
     'a page from a non-configured origin gets nothing from the agent', st);
  // the agent's 403 carries no CORS header: the browser fails the call
  // (the agent's log, checked by the caller, shows the 403 itself)
  ok(failed.some((u) => u.startsWith(agent + '/v1/')), "the browser gave that page no answer of the agent's", failed.join(' '));
  const leaked = log.filter((e) => e.dir === 'response' && e.url.startsWith(agent + '/v1/certificates') && e.status === 200 && e.body.includes(rogue));
  ok(leaked.length === 0, 'no certificate list went to it');

  // --- the PIN: only in the form posted to the agent's own page
  const withPin = log.filter((e) => e.body.includes(pin) || e.body.includes(encodeURIComponent(pin)));
  const expected = withPin.filter((e) => e.dir === 'request' && e.method === 'POST' && new URL(e.url).origin === new URL(agent).origin && new URL(e.url).pathname.startsWith('/confirm/'));
  ok(withPin.length === 1 && expected.length === 1,
     'the PIN is in exactly one HTTP body: the form posted to the agent itself',
     JSON.stringify(withPin.map((e) => [e.dir, e.url])));
  ok(log.filter((e) => e.dir === 'response').length > 10, 'the exchanges were recorded', log.length);
} catch (e) {
  ok(false, 'the browser run', e.stack);
} finally {
  await browser.close();
}
console.log(`1..${n}`);
