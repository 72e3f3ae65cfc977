// Withdrawal throughput and latency against a running server with the
// built-in simulator. Each withdrawal takes the real path: one-time token →
// session → request (server function) → a finance user's approval (the
// back-office form) → debit in cTrader, observed through the trader's list.
//
//   node bench/withdrawals.mjs http://127.0.0.1:3310 200 10 <staff cookie>
const [base = 'http://127.0.0.1:3310', total = '200', concurrency = '10', staff = ''] = process.argv.slice(2);
const N = Number(total), C = Number(concurrency);
const form = 'application/x-www-form-urlencoded';

async function must(res, what) {
  if (!res.ok && res.status !== 303) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res;
}

async function withdrawal(i) {
  const minted = await (await must(await fetch(`${base}/sim/tokens`, { method: 'POST', body: '{"balance":"100000"}', headers: { 'content-type': 'application/json' } }), 'mint')).json();
  const open = await must(await fetch(`${base}/inapp/action?actionType=withdraw&token=${minted.token}`, { redirect: 'manual' }), 'open');
  const cookie = open.headers.get('set-cookie').split(';')[0];
  const headers = { cookie, origin: base, 'content-type': form };
  const key = `bench-${i}-${Math.random().toString(36).slice(2)}-0000000000`;
  const t0 = performance.now();
  const body = `amount=25.00&payout=bank&iban=DE89370400440532013000&holder=Ann+Lee&card=&key=${key}`;
  const done = await (await must(await fetch(`${base}/api/withdrawal/request`, { method: 'POST', headers, body }), 'request')).json();
  const tRequest = performance.now() - t0;
  const id = done.withdrawal.id;
  const t1 = performance.now();
  await must(await fetch(`${base}/backoffice/withdrawals/${id}/approve`, { method: 'POST', redirect: 'manual', headers: { cookie: staff, origin: base, 'content-type': form }, body: '' }), 'approve');
  const tApprove = performance.now() - t1;
  for (;;) {
    const list = await (await must(await fetch(`${base}/api/withdrawal/list`, { method: 'POST', headers, body: '' }), 'list')).json();
    const state = list.find((w) => w.id === id)?.state;
    if (state === 'Debited') break;
    if (state === 'Rejected') throw new Error(`withdrawal ${id} rejected`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { request: tRequest, approve: tApprove, total: performance.now() - t1 };
}

const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const results = [];
let next = 0;
const began = performance.now();
await Promise.all(Array.from({ length: C }, async () => {
  while (next < N) results.push(await withdrawal(next++));
}));
const seconds = (performance.now() - began) / 1000;
const ms = (key) => ({ p50: +pct(results.map((r) => r[key]), 0.5).toFixed(1), p95: +pct(results.map((r) => r[key]), 0.95).toFixed(1) });
console.log(JSON.stringify({
  withdrawals: results.length,
  concurrency: C,
  seconds: +seconds.toFixed(2),
  withdrawalsPerSecond: +(results.length / seconds).toFixed(1),
  requestMs: ms('request'),
  approvePageMs: ms('approve'),
  approveToDebitedSeenMs: ms('total'),
}, null, 2));
