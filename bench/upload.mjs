// KYC upload throughput and the server's memory while uploads run. Each
// upload is a trader's real path: one-time token → session → multipart POST
// of a 10 MiB PDF to /inapp/kyc/documents (streamed to disk, scanned, kept).
//
//   node bench/upload.mjs http://127.0.0.1:3400 <server pid> [sequential=5] [concurrent=20]
import { readFileSync } from 'node:fs';

const [base, pid, seqArg = '5', concArg = '20'] = process.argv.slice(2);
const SEQ = Number(seqArg), CONC = Number(concArg);
const SIZE = 10 * 1024 * 1024;

/** A valid one-page PDF of exactly `size` bytes (padding is a comment line after the header). */
function pdf(size) {
  const content = 'BT /F1 12 Tf 72 770 Td (Bank statement) Tj ET\n';
  const bodies = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}endstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  const build = (pad) => {
    let out = `%PDF-1.4\n%${'x'.repeat(pad)}\n`;
    const offsets = [];
    bodies.forEach((b, i) => { offsets.push(out.length); out += `${i + 1} 0 obj\n${b}\nendobj\n`; });
    const xref = out.length;
    out += `xref\n0 ${bodies.length + 1}\n0000000000 65535 f \n`;
    for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
    return out + `trailer\n<< /Size ${bodies.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  };
  const bare = build(0).length;
  const out = build(size - bare - 2); // the xref offset may grow by a digit or two
  return Buffer.from(build(size - bare - 2 - (out.length - size)), 'latin1');
}

function rssKiB() {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

async function session() {
  const res = await fetch(`${base}/sim/tokens`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  const { token } = await res.json();
  const open = await fetch(`${base}/inapp/kyc?token=${token}`, { redirect: 'manual' });
  return open.headers.get('set-cookie').split(';')[0];
}

async function upload(cookie, file) {
  const form = new FormData();
  form.append('file', new Blob([file], { type: 'application/pdf' }), 'statement.pdf');
  const t0 = performance.now();
  const res = await fetch(`${base}/inapp/kyc/documents?documentType=address`, { method: 'POST', headers: { cookie, origin: base }, body: form });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
  return performance.now() - t0;
}

const file = pdf(SIZE);
if (file.length !== SIZE) throw new Error(`fixture is ${file.length} bytes`);
const mib = SIZE / (1024 * 1024);

// Sequential: one trader at a time, the time of each upload.
const seq = [];
for (let i = 0; i < SEQ; i++) seq.push(await upload(await session(), file));
seq.sort((a, b) => a - b);
const median = seq[Math.floor(seq.length / 2)];

// Concurrent: CONC traders at once, the server's resident memory sampled throughout.
const cookies = await Promise.all(Array.from({ length: CONC }, session));
const before = rssKiB();
let peak = before;
const sampler = setInterval(() => { peak = Math.max(peak, rssKiB()); }, 20);
const began = performance.now();
await Promise.all(cookies.map((c) => upload(c, file)));
const seconds = (performance.now() - began) / 1000;
clearInterval(sampler);
peak = Math.max(peak, rssKiB());

console.log(JSON.stringify({
  fileMiB: mib,
  sequential: { uploads: SEQ, medianMs: +median.toFixed(0), medianMiBPerSecond: +(mib / (median / 1000)).toFixed(1) },
  concurrent: {
    uploads: CONC,
    seconds: +seconds.toFixed(2),
    aggregateMiBPerSecond: +((mib * CONC) / seconds).toFixed(1),
    rssBeforeMiB: +(before / 1024).toFixed(1),
    rssPeakMiB: +(peak / 1024).toFixed(1),
    peakGrowthMiB: +((peak - before) / 1024).toFixed(1),
    bytesInFlightMiB: mib * CONC,
  },
}, null, 2));
