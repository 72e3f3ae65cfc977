// Deposit throughput and latency against a running server with the built-in
// simulator and sandbox provider. Each deposit takes the trader's real path:
// one-time token → session → start → hosted page (success card) → webhook →
// credit, observed through the status server function.
//
//   node bench/deposits.mjs http://127.0.0.1:3300 200 10
//   node bench/deposits.mjs http://a,http://b,http://c 300 12 http://platform   (several instances; tokens minted on the platform)
const [bases = 'http://127.0.0.1:3300', total = '200', concurrency = '10', platform] = process.argv.slice(2);
const N = Number(total), C = Number(concurrency);
const instances = bases.split(',');
const sim = platform ?? instances[0];

async function must(res, what) {
  if (!res.ok && res.status !== 303) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res;
}

async function deposit(i) {
  // Round-robin over the instances, as a load balancer would.
  const base = instances[i % instances.length];
  const minted = await (await must(await fetch(`${sim}/sim/tokens`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }), 'mint')).json();
  const open = await must(await fetch(`${base}/inapp/deposit?token=${minted.token}`, { redirect: 'manual' }), 'open');
  const cookie = open.headers.get('set-cookie').split(';')[0];
  const headers = { cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' };
  const t0 = performance.now();
  const key = `bench-${i}-${Math.random().toString(36).slice(2)}-0000000000`;
  const page = await (await must(await fetch(`${base}/api/deposit/start`, { method: 'POST', headers, body: `amount=25.00&method=card&key=${key}` }), 'start')).json();
  const tStart = performance.now() - t0;
  const back = await must(await fetch(`${base}${page}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'card=4242424242424242&action=pay' }), 'pay');
  const id = back.headers.get('location').split('deposit=')[1];
  for (;;) {
    const s = await (await must(await fetch(`${base}/api/deposit/status`, { method: 'POST', headers, body: `id=${id}` }), 'status')).json();
    if (s.deposit.state === 'Credited') break;
    if (s.deposit.state === 'Failed') throw new Error(`deposit ${id} failed`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { start: tStart, total: performance.now() - t0 };
}

const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const results = [];
let next = 0;
const began = performance.now();
await Promise.all(Array.from({ length: C }, async () => {
  while (next < N) results.push(await deposit(next++));
}));
const seconds = (performance.now() - began) / 1000;
const starts = results.map((r) => r.start), totals = results.map((r) => r.total);
console.log(JSON.stringify({
  instances: instances.length,
  deposits: results.length,
  concurrency: C,
  seconds: +seconds.toFixed(2),
  depositsPerSecond: +(results.length / seconds).toFixed(1),
  startMs: { p50: +pct(starts, 0.5).toFixed(1), p95: +pct(starts, 0.95).toFixed(1) },
  submitToCreditedMs: { p50: +pct(totals, 0.5).toFixed(1), p95: +pct(totals, 0.95).toFixed(1) },
}, null, 2));
