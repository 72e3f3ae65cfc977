// Driven by bench/chat.sh: node bench/chat.mjs <base> <server pid> <clients> <messages>
import fs from 'node:fs';
import net from 'node:net';

const [base, pid, clientsArg, messagesArg] = process.argv.slice(2);
const CLIENTS = Number(clientsArg);
const MESSAGES = Number(messagesArg);
const url = new URL(base);

const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (ns) => Number(ns) / 1e6;

async function pool(n, limit, f) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await f(i);
    }
  }));
  return out;
}

// 1. One trader session per client, as cTrader would open the chat screen.
let t0 = process.hrtime.bigint();
const cookies = await pool(CLIENTS, 32, async () => {
  const minted = await (await fetch(`${base}/sim/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
  const res = await fetch(`${base}/inapp/chat?token=${minted.token}`, { redirect: 'manual' });
  if (res.status !== 303) throw new Error(`token exchange answered ${res.status}`);
  return res.headers.get('set-cookie').split(';')[0];
});
console.log(`sessions: ${CLIENTS} in ${(ms(process.hrtime.bigint() - t0) / 1000).toFixed(1)} s`);

// 2. Idle live connections: a raw socket each, reading (and for the probes, watching) the stream.
const rssBefore = rssKiB();
const watchers = new Map();
function connect(i) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let head = '';
    let open = false;
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(`GET /inapp/chat/events HTTP/1.1\r\nHost: ${url.host}\r\nCookie: ${cookies[i]}\r\nAccept: text/event-stream\r\n\r\n`);
    });
    socket.on('data', (chunk) => {
      if (!open) {
        head += chunk;
        if (!head.includes('\r\n\r\n')) return;
        if (!head.startsWith('HTTP/1.1 200')) return reject(new Error(head.split('\r\n')[0]));
        open = true;
        resolve(socket);
      }
      const watch = watchers.get(i);
      if (watch) watch(chunk);
    });
    socket.on('error', reject);
  });
}
t0 = process.hrtime.bigint();
const sockets = await pool(CLIENTS, 200, connect);
const connectSeconds = ms(process.hrtime.bigint() - t0) / 1000;
await new Promise((r) => setTimeout(r, 2000));
const rssIdle = rssKiB();
console.log(`connected: ${sockets.length} idle streams in ${connectSeconds.toFixed(1)} s`);
console.log(`server RSS: ${(rssBefore / 1024).toFixed(1)} MiB before, ${(rssIdle / 1024).toFixed(1)} MiB with ${CLIENTS} open → ${((rssIdle - rssBefore) / CLIENTS).toFixed(1)} KiB per connection`);

// 3. Delivery latency while all of them stay connected: a trader sends, the
// event arrives on that trader's own open stream.
const latencies = [];
for (let m = 0; m < MESSAGES; m++) {
  const i = Math.floor((m * 7919) % CLIENTS);
  const tag = `probe-${m}-${Date.now()}`;
  const arrived = new Promise((resolve) => {
    let buf = '';
    watchers.set(i, (chunk) => {
      buf += chunk;
      if (buf.includes(tag)) resolve(process.hrtime.bigint());
    });
  });
  const start = process.hrtime.bigint();
  const res = await fetch(`${base}/inapp/chat/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: cookies[i], origin: base },
    body: JSON.stringify({ clientId: `bench-${m.toString().padStart(6, '0')}`, body: tag }),
  });
  if (res.status !== 201) throw new Error(`send answered ${res.status}`);
  const end = await arrived;
  watchers.delete(i);
  latencies.push(ms(end - start));
}
latencies.sort((a, b) => a - b);
console.log(`delivery (send → event on the open stream), ${MESSAGES} messages with ${CLIENTS} connected: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms`);
const alive = sockets.filter((s) => !s.destroyed).length;
console.log(`still connected at the end: ${alive} of ${CLIENTS}; server RSS ${(rssKiB() / 1024).toFixed(1)} MiB`);
for (const s of sockets) s.destroy();
process.exit(alive === CLIENTS ? 0 : 1);
