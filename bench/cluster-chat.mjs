// Chat delivery latency across instances: each trader sends through one
// instance and listens (server-sent events) on the next one, so every message
// crosses from the instance that stored it to another (LISTEN/NOTIFY on
// PostgreSQL); with one instance, both are the same.
//
//   node bench/cluster-chat.mjs http://a,http://b,http://c http://platform [traders=20] [messages=300]
const [bases, platform, tradersArg = '20', messagesArg = '300'] = process.argv.slice(2);
const instances = bases.split(',');
const TRADERS = Number(tradersArg), MESSAGES = Number(messagesArg);
const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function trader(i) {
  const minted = await (await fetch(`${platform}/sim/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
  const send = instances[i % instances.length], listen = instances[(i + 1) % instances.length];
  const res = await fetch(`${send}/inapp/chat?token=${minted.token}`, { redirect: 'manual' });
  const cookie = res.headers.get('set-cookie').split(';')[0];
  const waiting = new Map();
  const events = await fetch(`${listen}/inapp/chat/events`, { headers: { cookie } });
  const reader = events.body.getReader();
  const decoder = new TextDecoder();
  (async () => {
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        if (!block.includes('event: message') && !block.includes('event:message')) continue;
        const data = JSON.parse(block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join(''));
        waiting.get(data.clientId)?.();
      }
    }
  })();
  return { send, cookie, waiting };
}

const traders = await Promise.all(Array.from({ length: TRADERS }, (_, i) => trader(i)));
await new Promise((r) => setTimeout(r, 500));
const latencies = [];
let next = 0;
await Promise.all(traders.map(async (t, i) => {
  while (next < MESSAGES) {
    const n = next++;
    const clientId = `bench-${i}-${n}-0000000000`;
    const arrived = new Promise((resolve) => t.waiting.set(clientId, resolve));
    const t0 = performance.now();
    const res = await fetch(`${t.send}/inapp/chat/messages`, {
      method: 'POST',
      headers: { cookie: t.cookie, origin: t.send, 'content-type': 'application/json' },
      body: JSON.stringify({ clientId, body: `message ${n}` }),
    });
    if (res.status !== 201) throw new Error(`send: ${res.status} ${await res.text()}`);
    await arrived;
    latencies.push(performance.now() - t0);
  }
}));
console.log(JSON.stringify({
  instances: instances.length,
  traders: TRADERS,
  messages: latencies.length,
  sendToDeliveredMs: { p50: +pct(latencies, 0.5).toFixed(1), p95: +pct(latencies, 0.95).toFixed(1), max: +Math.max(...latencies).toFixed(1) },
}, null, 2));
process.exit(0);
