// Decompression bombs against a running server: N traders each upload, at
// once, a PNG whose decoded size is far past the server's budget (a few
// hundred KiB on the wire, ~240 MiB decoded), and N more a PNG just inside it
// (~70 MiB decoded, which is decoded), while the server's resident memory is
// sampled. Reports the answers and the peak.
//
//   node bench/bombs.mjs http://127.0.0.1:3402 <server pid> 20
import { readFileSync } from 'node:fs';
import { png } from './png.mjs';

const [base, pid, nArg = '20'] = process.argv.slice(2);
const N = Number(nArg);

const rssKiB = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function session() {
  const res = await fetch(`${base}/sim/tokens`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  const { token } = await res.json();
  const open = await fetch(`${base}/inapp/kyc?token=${token}`, { redirect: 'manual' });
  return open.headers.get('set-cookie').split(';')[0];
}

async function upload(cookie, file, name) {
  const form = new FormData();
  form.append('file', new Blob([file], { type: 'image/png' }), name);
  const res = await fetch(`${base}/inapp/kyc/documents?documentType=identity`, { method: 'POST', headers: { cookie, origin: base }, body: form });
  const body = await res.text();
  return `${res.status} ${(/"code":"([A-Z_]+)"/.exec(body) ?? [])[1] ?? ''}`.trim();
}

const bomb = png(7900, 7900, 4); // 238 MiB decoded
const inside = png(4900, 4900, 3); // 69 MiB decoded
const cookies = await Promise.all(Array.from({ length: 2 * N }, session));
const before = rssKiB('VmRSS');
let peak = before;
const sampler = setInterval(() => { peak = Math.max(peak, rssKiB('VmRSS')); }, 10);
const began = performance.now();
const answers = await Promise.all(cookies.map((c, i) => (i < N ? upload(c, bomb, 'bomb.png') : upload(c, inside, 'big.png'))));
const seconds = (performance.now() - began) / 1000;
clearInterval(sampler);
const count = (xs) => xs.reduce((m, a) => ((m[a] = (m[a] ?? 0) + 1), m), {});
console.log(JSON.stringify({
  bombKiB: Math.round(bomb.length / 1024),
  insideKiB: Math.round(inside.length / 1024),
  bombs: count(answers.slice(0, N)),
  inside: count(answers.slice(N)),
  seconds: +seconds.toFixed(2),
  rssBeforeMiB: +(before / 1024).toFixed(1),
  rssPeakMiB: +(peak / 1024).toFixed(1),
}, null, 2));
