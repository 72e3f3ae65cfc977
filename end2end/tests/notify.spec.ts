import { test, expect, Page } from '@playwright/test';
import http from 'node:http';
import crypto from 'node:crypto';
import { freshLogin, submitStandardKyc } from './helpers';
import { jpeg, pdf } from './fixtures';
import { OwnServer, startAlone } from './server';

// Completion notices to the page embedding a screen (cTrader Web's iframe):
// window.parent.postMessage to the configured origins only. A parent page on
// an allowed origin receives the documented notice; one on another origin
// that frames the same screen receives nothing. The parents are pages the
// test serves itself (same site as the server, other ports: other origins),
// from real local servers (a page the browser cannot place on the network
// may not frame a local one).

let server: OwnServer;
let allowed: string;
let other: string;
const parents: http.Server[] = [];
const CRM_SECRET = 'e2e-crm-webhook-secret-0123456789';
/** What the test CRM received: the signature header, the body, and what it answered (the first try gets a 503). */
const crmReceived: { signature: string; body: string; status: number }[] = [];

function crmServer(port: number): Promise<void> {
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const status = crmReceived.length === 0 ? 503 : 200;
      crmReceived.push({ signature: String(req.headers['inapp-signature'] ?? ''), body, status });
      res.writeHead(status);
      res.end();
    });
  });
  parents.push(srv);
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve()));
}

/** A parent page server on `port`: `/broker?src=…` frames `src` and records every message. */
function parentServer(port: number): Promise<void> {
  const srv = http.createServer((req, res) => {
    const src = new URL(req.url ?? '/', 'http://x').searchParams.get('src') ?? '';
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>parent</title><script>window.got = []; addEventListener('message', (e) => window.got.push({ origin: e.origin, data: e.data }));</script>
      <iframe id="screen" src="${src.replace(/"/g, '')}" style="width:412px;height:800px"></iframe>`);
  });
  parents.push(srv);
  return new Promise((resolve) => srv.listen(port, '127.0.0.1', () => resolve()));
}

test.beforeAll(async ({}, info) => {
  // A worker may run this file's tests in turns, each with a fresh server: what the last one's CRM saw is gone.
  crmReceived.length = 0;
  parents.length = 0;
  const port = 4300 + info.workerIndex;
  allowed = `http://127.0.0.1:${port + 50}`;
  other = `http://127.0.0.1:${port + 60}`;
  await parentServer(port + 50);
  await parentServer(port + 60);
  await crmServer(port + 70);
  server = new OwnServer(port, {
    INAPP_NOTIFY__CRM_URL: `http://127.0.0.1:${port + 70}/hooks/inapp`,
    INAPP_NOTIFY__CRM_SECRET: CRM_SECRET,
    INAPP_PAYMENTS__RETRY_BASE_MS: '100',
    INAPP_NOTIFY__PARENT_ORIGINS: JSON.stringify([allowed]),
    INAPP_SERVER__FRAME_ANCESTORS: JSON.stringify(["'self'", allowed, other]),
  });
  await startAlone(server);
});
test.afterAll(async () => {
  await server.stop();
  for (const p of parents) p.close();
});

async function token(login: number): Promise<string> {
  const res = await fetch(`${server.base}/sim/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login }) });
  expect(res.status).toBe(201);
  return (await res.json()).token;
}

/** A parent page at `origin` framing the KYC status screen, recording every message it receives. */
async function parent(page: Page, origin: string, login: number) {
  const src = `${server.base}/inapp/kyc/status?token=${await token(login)}`;
  await page.goto(`${origin}/broker?src=${encodeURIComponent(src)}`);
  return page.frameLocator('#screen');
}

test('a submitted KYC case is posted to the allowed parent page, and to no other', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const login = freshLogin();
  await page.goto(`${server.base}/inapp/kyc?token=${await token(login)}&kycType=standard`);
  await submitStandardKyc(page, 'Pia Parent', '1991-06-06', await jpeg(browser), pdf({}), server.base);

  const framed = await (await browser.newContext()).newPage();
  const screen = await parent(framed, allowed, login);
  await expect(screen.getByTestId('kyc-overall')).toHaveAttribute('data-state', 'submitted');
  await expect.poll(() => framed.evaluate(() => (window as any).got.length), { timeout: 20_000 }).toBe(1);
  const got = await framed.evaluate(() => (window as any).got[0]);
  expect(got.origin).toBe(server.base);
  expect(got.data).toEqual({ source: 'broker-inapp', version: 1, event: 'kyc.submitted', login, id: String(login), state: 'submitted', kyc_type: 'standard' });

  // Framed by another origin: the screen posts (to the allowed origin only), the browser delivers nothing here.
  const elsewhere = await (await browser.newContext()).newPage();
  const screen2 = await parent(elsewhere, other, login);
  await expect(screen2.locator('body')).toHaveAttribute('data-notified', 'kyc.submitted', { timeout: 20_000 });
  expect(await elsewhere.evaluate(() => (window as any).got)).toEqual([]);
});

test('the CRM receives the submission, signed, again after its first refusal, and once', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const login = freshLogin();
  await page.goto(`${server.base}/inapp/kyc?token=${await token(login)}&kycType=standard`);
  await submitStandardKyc(page, 'Cora Crm', '1985-03-03', await jpeg(browser), pdf({}), server.base);
  const mine = () => crmReceived.filter((r) => r.status === 200 && JSON.parse(r.body).login === login);
  await expect.poll(() => mine().length, { timeout: 30_000 }).toBe(1);
  // The first delivery of all was answered 503, and sent again.
  expect(crmReceived[0].status).toBe(503);
  expect(crmReceived.filter((r) => r.status === 200 && r.body === crmReceived[0].body)).toHaveLength(1);
  const { signature, body } = mine()[0];
  const event = JSON.parse(body);
  expect(event).toMatchObject({ source: 'broker-inapp', version: 1, event: 'kyc.submitted', login, id: String(login), state: 'submitted', kyc_type: 'standard' });
  expect(typeof event.event_id).toBe('number');
  // HMAC-SHA256 over "t.body" with the configured secret.
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature)!;
  expect(v1).toBe(crypto.createHmac('sha256', CRM_SECRET).update(`${t}.${body}`).digest('hex'));
  // Taken once: no event id answered 200 twice.
  const ids = crmReceived.filter((r) => r.status === 200).map((r) => JSON.parse(r.body).event_id);
  expect(new Set(ids).size).toBe(ids.length);
});
