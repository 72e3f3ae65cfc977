// First load of every trader screen on a phone on slow 4G, as #17 measures
// it: Lighthouse's "slow 4G" profile (562.5 ms request latency, 1.44 Mbit/s
// down, 675 kbit/s up, CPU 4x slower), cache disabled, a phone-sized
// viewport, each screen opened from a fresh one-time token (the token link,
// its redirect and the screen).
//
// Per screen: first contentful paint; "usable", the moment the screen's
// main control responds (its form posts without the WASM, or its button is
// enabled once hydrated); the bytes on the wire; the largest response.
//
//   node bench/first-load.mjs http://127.0.0.1:3320
import { chromium } from '@playwright/test';

const base = process.argv[2];
const SCREENS = [
  // path, query, the control that must respond, whether it works before hydration
  ['/inapp/deposit', '', '[data-testid=submit]', 'posts without the WASM'],
  ['/inapp/action', 'actionType=withdraw', '[data-testid=withdraw-submit]:enabled', 'hydrated'],
  ['/inapp/action', 'actionType=transfer', '[data-testid=action-submit]:enabled', 'hydrated'],
  ['/inapp/kyc', 'kycType=standard', '[data-testid=kyc-save]:enabled', 'hydrated'],
  ['/inapp/kyc/upload', 'documentType=identity', '[data-testid=kyc-file]:enabled', 'hydrated'],
  ['/inapp/kyc/status', '', '[data-testid=kyc-overall]', 'no form'],
  ['/inapp/chat', '', '[data-testid=chat-send]:enabled', 'posts without the WASM'],
];

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
const rows = [];
for (const [path, query, control, how] of SCREENS) {
  const minted = await (await fetch(`${base}/sim/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 562.5,
    downloadThroughput: (1.44 * 1024 * 1024) / 8,
    uploadThroughput: (675 * 1024) / 8,
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  let bytes = 0;
  let largest = { bytes: 0, url: '' };
  const urls = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => {
    bytes += e.encodedDataLength;
    if (e.encodedDataLength > largest.bytes) largest = { bytes: e.encodedDataLength, url: urls.get(e.requestId) || '' };
  });
  const started = Date.now();
  await page.goto(`${base}${path}?token=${minted.token}${query ? `&${query}` : ''}`, { waitUntil: 'commit' });
  await page.waitForSelector(control, { timeout: 120_000 });
  const usable = Date.now() - started;
  const fcp = await page.evaluate(async () => {
    for (;;) {
      const [entry] = performance.getEntriesByName('first-contentful-paint');
      if (entry) return entry.startTime;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  // Everything the screen loads (the WASM too, where it is not needed to be usable).
  await page.waitForLoadState('networkidle', { timeout: 180_000 }).catch(() => {});
  // FCP counts from the screen's own navigation; the token link's redirect came before it.
  const redirect = await page.evaluate(() => performance.getEntriesByType('navigation')[0]?.redirectEnd || 0);
  rows.push({ screen: `${path}${query ? `?${query}` : ''}`, fcp: Math.round(fcp), usable, how, bytes, largest: `${largest.bytes} ${new URL(largest.url || base).pathname}`, redirect });
  await context.close();
}
await browser.close();
console.log('screen'.padEnd(34), 'FCP ms'.padStart(7), 'usable ms'.padStart(10), 'bytes'.padStart(10), ' largest response');
for (const r of rows) {
  console.log(r.screen.padEnd(34), String(r.fcp).padStart(7), String(r.usable).padStart(10), String(r.bytes).padStart(10), ` ${r.largest}  (${r.how})`);
}
