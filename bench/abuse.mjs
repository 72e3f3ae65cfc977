// The abuse suite's traffic, against a running server on loopback (see
// abuse.sh): a well-behaved trader opens screens and deposits throughout;
// first alone (the baseline), then while, at once, N generated bad requests
// go to every route (malformed, oversized, wrong types, wrong sessions, wrong
// roles), image bombs are uploaded, and slow clients trickle their headers.
// Prints one JSON report; exits non-zero if a 5xx other than a deliberate
// 503 with Retry-After came back, or if a deposit was not credited once.
//
//   node bench/abuse.mjs http://127.0.0.1:3403 <server pid> 100000
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { png } from './png.mjs';

const [base, pid, totalArg = '100000'] = process.argv.slice(2);
const TOTAL = Number(totalArg);
const CONCURRENCY = 64;
const url = new URL(base);
const form = 'application/x-www-form-urlencoded';
const rss = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function mint(body = {}) {
  const res = await fetch(`${base}/sim/tokens`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return res.json();
}

async function session(path = '/inapp/deposit', extra = '') {
  const m = await mint();
  const res = await fetch(`${base}${path}?token=${m.token}${extra}`, { redirect: 'manual' });
  return { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0], login: m.login };
}

// ---------------------------------------------------------------- the good trader

const good = { latencies: [], deposits: [], errors: 0 };

async function goodRound() {
  const t0 = performance.now();
  const { cookie, login } = await session();
  const page = await fetch(`${base}/inapp/deposit`, { headers: { cookie } });
  await page.text();
  const headers = { cookie, origin: base, 'content-type': form };
  const key = `abuse-${Math.random().toString(36).slice(2)}-0000000000`;
  const start = await fetch(`${base}/api/deposit/start`, { method: 'POST', headers, body: `amount=25.00&method=card&key=${key}` });
  if (!start.ok) { good.errors++; return; }
  const hosted = await start.json();
  const back = await fetch(`${base}${hosted}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': form }, body: 'card=4242424242424242&action=pay' });
  const id = (back.headers.get('location') ?? '').split('deposit=')[1];
  good.latencies.push(performance.now() - t0);
  if (id) good.deposits.push({ id, login });
}

async function goodLoop(until) {
  while (performance.now() < until()) {
    try { await goodRound(); } catch { good.errors++; }
  }
}

// ---------------------------------------------------------------- the bad traffic

const ROUTES = [
  ['GET', '/inapp/deposit'], ['GET', '/inapp/kyc'], ['GET', '/inapp/kyc/upload'], ['GET', '/inapp/kyc/status'],
  ['GET', '/inapp/chat'], ['GET', '/inapp/action'], ['GET', '/inapp/chat/events'], ['GET', '/inapp/kyc/documents/doc_x'],
  ['POST', '/api/deposit/start'], ['POST', '/api/deposit/status'], ['POST', '/api/deposit/form'], ['POST', '/api/deposit/recent'],
  ['POST', '/api/withdrawal/request'], ['POST', '/api/withdrawal/cancel'], ['POST', '/api/withdrawal/list'], ['POST', '/api/withdrawal/form'],
  ['POST', '/api/kyc/details'], ['POST', '/api/kyc/view'], ['POST', '/api/action/submit'], ['POST', '/api/action/view'], ['POST', '/api/action/handoff'],
  ['POST', '/api/chat/view'], ['POST', '/inapp/chat/messages'], ['POST', '/inapp/chat/receipts'], ['POST', '/inapp/chat/typing'],
  ['POST', '/inapp/kyc/documents'], ['POST', '/inapp/chat/attachments'],
  ['POST', '/payments/webhook/sandbox'], ['POST', '/payments/webhook/stripe'],
  ['POST', '/oauth2/crmApiToken'], ['POST', '/oauth2/onetime/authorize'], ['POST', '/oauth2/authorize'], ['POST', '/oauth2/onetime/generate'],
  ['GET', '/oauth2/openapi.json'], ['POST', '/oauth2/sign-in'],
  ['POST', '/backoffice/sign-in'], ['GET', '/backoffice'], ['GET', '/backoffice/kyc'], ['POST', '/backoffice/kyc/100001/approve'],
  ['POST', '/backoffice/kyc/documents/doc_x/accept'], ['POST', '/backoffice/deposits/dep_x/retry-credit'],
  ['GET', '/backoffice/bank'], ['POST', '/backoffice/bank/wires'], ['POST', '/backoffice/bank/statements'],
  ['GET', '/backoffice/withdrawals'], ['POST', '/backoffice/withdrawals/wd_x/approve'], ['POST', '/backoffice/withdrawals/wd_x/paid'],
  ['GET', '/backoffice/chat'], ['POST', '/backoffice/chat/1/messages'], ['GET', '/gallery'], ['GET', '/theme.css'], ['GET', '/healthz'],
  ['GET', '/done/success'], ['GET', '/nowhere/at/all'], ['DELETE', '/api/deposit/start'], ['PUT', '/inapp/deposit'],
];

const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
const junk = (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(Math.random() * 256)));
const BODIES = [
  () => '',
  () => junk(200),
  () => 'amount=-1&method=card&key=x',
  () => 'amount=1e308&method=%00&key=' + 'k'.repeat(70),
  () => 'id=dep_' + 'f'.repeat(32),
  () => JSON.stringify({ body: 'x'.repeat(5000), clientId: 'nope' }),
  () => JSON.stringify({ password: 12 }),
  () => '{"code":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
  () => '{"a":"' + 'b'.repeat(900 * 1024) + '"}',
  () => 'amount=' + '9'.repeat(60) + '&payout=bank&iban=DE00&holder=&card=&key=abcdefghijklmnopqrstu',
  () => 'values[amount]=1&action_type=' + '%FF'.repeat(40),
  () => 'full_name=' + 'x'.repeat(10_000) + '&date_of_birth=2999-99-99',
];
const CONTENT_TYPES = [form, 'application/json', 'multipart/form-data; boundary=x', 'text/plain', 'application/xml', undefined];

let cookies = [];
const bad = { sent: 0, statuses: {}, serverErrors: [], failed: 0, gaveUp: 0 };

async function badOne() {
  const [method, path] = pick(ROUTES);
  const headers = {};
  const r = Math.random();
  if (r < 0.4 && cookies.length) headers.cookie = pick(cookies); // someone's real session, often the wrong one
  else if (r < 0.5) headers.cookie = `inapp_session=${junk(20).toString('hex')}; inapp_staff=${junk(20).toString('hex')}`;
  if (Math.random() < 0.7) headers.origin = base; else if (Math.random() < 0.5) headers.origin = 'https://evil.example';
  const ct = pick(CONTENT_TYPES);
  if (ct) headers['content-type'] = ct;
  if (Math.random() < 0.1) headers['sandbox-signature'] = 't=1,' + 'v1=ab,'.repeat(500);
  if (Math.random() < 0.05) headers.authorization = 'Bearer ' + 'x'.repeat(600);
  const query = Math.random() < 0.3 ? `?${pick(['token=', 'lang=', 'kycType=', 'actionType=', 'page=', 'state='])}${encodeURIComponent(junk(30).toString('latin1'))}` : '';
  const body = method === 'GET' ? undefined : pick(BODIES)();
  try {
    // A bad client gives up after 20 s: an event stream it opened with someone's
    // session would otherwise hold this worker for as long as the session lives.
    const res = await fetch(`${base}${path}${query}`, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(20_000) });
    await res.arrayBuffer().catch(() => { bad.gaveUp++; });
    bad.statuses[res.status] = (bad.statuses[res.status] ?? 0) + 1;
    // A deliberate 503 says when to come back; any other 5xx is a bug.
    if (res.status >= 500 && !(res.status === 503 && res.headers.get('retry-after'))) {
      if (bad.serverErrors.length < 20) bad.serverErrors.push(`${res.status} ${method} ${path}${query}`);
      else bad.serverErrors.push('…');
    }
  } catch {
    bad.failed++;
  }
  bad.sent++;
  if (bad.sent % 10_000 === 0) console.error(`${bad.sent} bad requests sent`);
}

async function badLoop() {
  while (bad.sent + CONCURRENCY <= TOTAL) await badOne();
}

// ---------------------------------------------------------------- bombs and slow clients

async function bombs(n) {
  const file = png(7900, 7900, 4);
  const answers = {};
  await Promise.all(Array.from({ length: n }, async () => {
    const { cookie } = await session('/inapp/kyc');
    const body = new FormData();
    body.append('file', new Blob([file], { type: 'image/png' }), 'bomb.png');
    const res = await fetch(`${base}/inapp/kyc/documents?documentType=identity`, { method: 'POST', headers: { cookie, origin: base }, body });
    answers[res.status] = (answers[res.status] ?? 0) + 1;
  }));
  return answers;
}

/** `n` clients sending a request head a byte a second; how many the server cut off. */
function slowClients(n, seconds) {
  return new Promise((resolve) => {
    let closed = 0, done = 0;
    for (let i = 0; i < n; i++) {
      const s = net.connect(Number(url.port), url.hostname);
      const head = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'z'.repeat(200);
      let k = 0;
      const tick = setInterval(() => { if (k < head.length && !s.destroyed) s.write(head[k++]); }, 1000);
      const finish = () => { clearInterval(tick); if (++done === n) resolve(closed); };
      s.on('close', () => { closed++; finish(); });
      s.on('error', () => {});
      setTimeout(() => { if (!s.destroyed) { s.destroy(); closed--; } }, seconds * 1000);
    }
  });
}

// ---------------------------------------------------------------- the run

const pct = (xs, p) => (xs.length ? xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] : 0);
for (let i = 0; i < 40; i++) cookies.push((await session(pick(['/inapp/deposit', '/inapp/kyc', '/inapp/chat']))).cookie);

// Baseline: the good trader alone for 20 s.
const baseline0 = performance.now();
await goodLoop(() => baseline0 + 20_000);
const before = good.latencies.splice(0);
const rssBefore = rss('VmRSS');

// The attack, with the good trader going on until it ends.
let attacking = true;
const attackStart = performance.now();
const goodDuring = goodLoop(() => (attacking ? Infinity : 0));
const [bombAnswers, slowCut] = await Promise.all([
  bombs(20),
  slowClients(100, 40),
  Promise.all(Array.from({ length: CONCURRENCY }, badLoop)),
]);
attacking = false;
await goodDuring;
const attackSeconds = (performance.now() - attackStart) / 1000;
const during = good.latencies;

// Every deposit the good trader paid is credited exactly once (the simulator's history).
const creditedOnce = { deposits: good.deposits.length, once: 0, problems: [] };
const deadline = performance.now() + 60_000;
for (const d of good.deposits) {
  for (;;) {
    const t = await (await fetch(`${base}/sim/traders/${d.login}`)).json();
    const copies = t.history.filter((h) => h.externalId === d.id).length;
    if (copies === 1) { creditedOnce.once++; break; }
    if (copies > 1 || performance.now() > deadline) { creditedOnce.problems.push(`${d.id}: ${copies} copies`); break; }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const report = {
  badRequests: bad.sent,
  statuses: bad.statuses,
  unexpected5xx: bad.serverErrors.length,
  unexpected5xxSample: bad.serverErrors.slice(0, 10),
  connectionErrors: bad.failed,
  streamsGivenUpAfter20s: bad.gaveUp,
  attackSeconds: +attackSeconds.toFixed(1),
  badRequestsPerSecond: Math.round(bad.sent / attackSeconds),
  bombs: bombAnswers,
  slowClientsCutOff: `${slowCut} of 100`,
  goodTrader: {
    roundsBefore: before.length,
    p50Before: +pct(before, 0.5).toFixed(1),
    p99Before: +pct(before, 0.99).toFixed(1),
    roundsDuring: during.length,
    p50During: +pct(during, 0.5).toFixed(1),
    p99During: +pct(during, 0.99).toFixed(1),
    errors: good.errors,
  },
  creditedExactlyOnce: creditedOnce,
  serverRssMiB: { before: +(rssBefore / 1024).toFixed(1), peak: +(rss('VmHWM') / 1024).toFixed(1) },
};
console.log(JSON.stringify(report, null, 2));
process.exit(report.unexpected5xx === 0 && creditedOnce.problems.length === 0 && creditedOnce.once === creditedOnce.deposits ? 0 : 1);
