// The verification page in Debian's headless Chromium, driven by
// playwright-core: uploads (authentic, tampered, annotated after
// signing), the switch to English, a phone-sized viewport, the QR link,
// the keyboard, the Content-Security-Policy holding, and no request
// leaving 127.0.0.1.  Screenshots go to SHOTS for review.  Prints TAP.
//
// usage: node page.mjs URL SHOTS SIGNED TAMPERED ANNOTATED DIGEST NAME1 NAME2
//                      QR_URL QR_SIGNED QR_DIGEST QR_SIGNER
// (QR_URL: decoded from a rendered transcript the daemon signed, QR_SIGNED
// that signed file, QR_DIGEST its SHA-256, QR_SIGNER the seal's name)
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const [url, shots, signed, tampered, annotated, digest, name1, name2,
       qrUrl, qrSigned, qrDigest, qrSigner] = process.argv.slice(2);
const browserPath = process.env.KYSO_CHROMIUM || '/usr/bin/chromium';
mkdirSync(shots, { recursive: true });

let n = 0;
let failed = 0;
function ok(cond, name, detail) {
  n++;
  if (cond) {
    console.log(`ok ${n} - ${name}`);
  } else {
    failed++;
    console.log(`not ok ${n} - ${name}`);
    if (detail !== undefined) console.log(`# ${String(detail).slice(0, 600).replace(/\n/g, '\n# ')}`);
  }
}

// Every request a page makes, and every console complaint (a CSP
// violation is reported there).
const requests = [];
const complaints = [];
function watch(page) {
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') complaints.push(m.text());
  });
  page.on('pageerror', (e) => complaints.push(String(e)));
}

async function upload(page, file) {
  await page.setInputFiles('#document', file);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

const browser = await chromium.launch({
  executablePath: browserPath,
  headless: true,
  // no sandbox as root (containers); no background traffic to Google
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run', '--disable-default-apps'],
});
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // any address but the daemon's is refused and recorded
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === '127.0.0.1') return route.continue();
    return route.abort();
  });
  const page = await ctx.newPage();
  watch(page);

  // --- the form, in Vietnamese
  await page.goto(url + '/');
  ok(await page.getAttribute('html', 'lang') === 'vi', 'the form page is in Vietnamese');
  const label = await page.textContent('label[for=document]');
  ok(/PDF/.test(label || ''), 'the file input has a visible label', label);
  const bg = await page.$eval('button[type=submit]', (b) => getComputedStyle(b).backgroundColor);
  ok(bg === 'rgb(11, 83, 148)', 'the stylesheet applies under the CSP (the button is styled)', bg);
  await page.screenshot({ path: `${shots}/form-vi.png`, fullPage: true });

  // --- the keyboard reaches the file input and the button, with a visible focus
  await page.keyboard.press('Tab');
  let seen = [];
  for (let i = 0; i < 8; i++) {
    const id = await page.evaluate(() => {
      const a = document.activeElement;
      return a ? (a.id || a.tagName.toLowerCase() + (a.type ? ':' + a.type : '')) : '';
    });
    seen.push(id);
    if (id === 'button:submit') break;
    await page.keyboard.press('Tab');
  }
  ok(seen.includes('document') && seen.includes('button:submit'),
     'Tab reaches the file input and the submit button', seen.join(' '));
  const outline = await page.$eval('button[type=submit]', (b) => getComputedStyle(b).outlineStyle);
  ok(outline !== 'none', 'the focused button shows its focus', outline);

  // --- uploads
  await upload(page, signed);
  let banner = await page.textContent('.verdict h2');
  ok(await page.$('.verdict.v-authentic') !== null && /xác thực/.test(banner),
     'a signed transcript: the authentic banner', banner);
  let body = await page.textContent('main');
  ok(body.includes(name1) && body.includes(name2), `the signers' names (${name1}, ${name2})`, body);
  const first = await page.evaluate(() => {
    const m = document.querySelector('main');
    return m.querySelector('.verdict, .signer').className;
  });
  ok(first.startsWith('verdict'), 'the verdict comes before the signers', first);
  await page.screenshot({ path: `${shots}/authentic-vi.png`, fullPage: true });

  await page.goto(url + '/');
  await upload(page, tampered);
  banner = await page.textContent('.verdict h2');
  ok(await page.$('.verdict.v-bad') !== null, 'a tampered transcript: not authentic', banner);
  await page.screenshot({ path: `${shots}/not-authentic-vi.png`, fullPage: true });

  await page.goto(url + '/');
  await upload(page, annotated);
  banner = await page.textContent('.verdict h2');
  const changes = await page.$$eval('.changes li', (l) => l.map((e) => e.textContent));
  ok(await page.$('.verdict.v-changed') !== null && changes.some((c) => /trang 1/.test(c)),
     'annotated after signing: changed afterwards, with what changed on page 1', banner);
  const plain = await page.textContent('.verdict .plain');
  const folded = await page.$eval('.verdict details', (d) => !d.open);
  const listHidden = !(await page.isVisible('.changes li'));
  ok(/ghi chú hoặc hình vẽ trên trang 1/.test(plain || '') && folded && listHidden,
     'the plain sentence shows; the technical list is folded until asked for',
     `${plain} folded=${folded} hidden=${listHidden}`);
  await page.screenshot({ path: `${shots}/changed-vi.png`, fullPage: true });

  // --- the switch to English
  await page.goto(url + '/');
  await Promise.all([page.waitForNavigation(), page.click('text=English')]);
  ok(await page.getAttribute('html', 'lang') === 'en' &&
     (await page.textContent('button[type=submit]')).trim() === 'Verify',
     'the English link switches the form to English');
  await upload(page, signed);
  banner = await page.textContent('.verdict h2');
  ok(/Authentic and unchanged/.test(banner), 'the result in English', banner);
  await page.screenshot({ path: `${shots}/authentic-en.png`, fullPage: true });

  // --- the QR link
  await page.goto(`${url}/v/${digest}`);
  body = await page.textContent('main');
  ok(body.includes(digest) && await page.$('.verdict.v-authentic') !== null,
     'the QR link of a document the daemon signed: registered, no upload needed', body);
  await page.screenshot({ path: `${shots}/qr-registered.png`, fullPage: true });
  // an id no document the daemon signed carries
  const unknownId = 'hb-aaaaaaaaaaaaaaaa';
  await page.goto(`${url}/v/${unknownId}`);
  body = await page.textContent('main');
  ok(await page.$(`input[type=hidden][name=id][value="${unknownId}"]`) !== null &&
     /chưa có thông tin đăng ký/.test(body) && await page.$('.verdict') === null,
     'the QR link of an unregistered id says so, asks for the file and keeps the id', body);
  await upload(page, signed);
  body = await page.textContent('main');
  ok(body.includes(unknownId) && await page.$('.verdict.v-authentic') !== null &&
     await page.$('.registry') === null,
     'the upload from the QR page: authentic, the id shown, no registration to compare', body);

  // --- the QR code of a rendered transcript the daemon signed, as scanned
  await page.goto(qrUrl);
  body = await page.textContent('main');
  const digestShown = await page.textContent('.verdict code.digest');
  ok(await page.$('.verdict.v-authentic') !== null && digestShown === qrDigest &&
     body.includes(qrSigner) && /Văn bản đã được đăng ký/.test(body),
     'the scanned QR link: registered, the signed version\'s digest and the signer', body);
  await page.screenshot({ path: `${shots}/qr-record-vi.png`, fullPage: true });
  await upload(page, qrSigned);
  ok(await page.$('.registry.r-match') !== null && await page.$('.verdict.v-authentic') !== null,
     'the signed transcript uploaded from its QR page: authentic, and the registered document',
     await page.textContent('main'));
  await page.screenshot({ path: `${shots}/qr-record-match.png`, fullPage: true });
  await page.goto(qrUrl);
  await upload(page, signed);
  ok(await page.$('.registry.r-other') !== null,
     'another document uploaded from that QR page: not the registered one');
  await ctx.close();

  // --- a phone
  const phone = await browser.newContext({
    viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  });
  await phone.route('**/*', (route) => {
    const u = new URL(route.request().url());
    return u.hostname === '127.0.0.1' ? route.continue() : route.abort();
  });
  const mob = await phone.newPage();
  watch(mob);
  await mob.goto(url + '/');
  let wide = await mob.evaluate(() => document.documentElement.scrollWidth);
  ok(wide <= 360, 'phone (360 px): the form fits without sideways scrolling', wide);
  const bw = await mob.$eval('button[type=submit]', (b) => b.getBoundingClientRect());
  ok(bw.height >= 44 && bw.width >= 0.8 * 360, 'phone: the button is a large touch target across the screen', JSON.stringify(bw));
  await mob.screenshot({ path: `${shots}/phone-form.png`, fullPage: true });
  await upload(mob, annotated);
  wide = await mob.evaluate(() => document.documentElement.scrollWidth);
  ok(wide <= 360 && await mob.$('.verdict.v-changed') !== null,
     'phone: the result fits without sideways scrolling', wide);
  await mob.screenshot({ path: `${shots}/phone-changed.png`, fullPage: true });
  await phone.close();

  // --- nothing left 127.0.0.1, the CSP was never violated
  const outside = requests.filter((u) => new URL(u).hostname !== '127.0.0.1');
  ok(requests.length > 0 && outside.length === 0, `no request left 127.0.0.1 (${requests.length} made)`,
     outside.join(' '));
  ok(complaints.length === 0, 'no console errors (no Content-Security-Policy violation)',
     complaints.join(' | '));
} catch (e) {
  ok(false, 'the browser run completed', e.stack || e);
} finally {
  await browser.close();
}
console.log(`1..${n}`);
process.exit(failed === 0 ? 0 : 1);
