import { Browser } from '@playwright/test';

/** A file as Playwright's `setInputFiles` takes it. */
export type FileFixture = { name: string; mimeType: string; buffer: Buffer };

/**
 * A real JPEG photo, encoded by the browser's own canvas: random noise so
 * it cannot compress below the 32 KiB floor (or, with `small`, a flat
 * image that does). Made in a throwaway page so no screen is disturbed.
 */
export async function jpeg(browser: Browser, opts: { width?: number; height?: number; small?: boolean; name?: string } = {}): Promise<FileFixture> {
  const width = opts.width ?? 800;
  const height = opts.height ?? 600;
  const context = await browser.newContext();
  const page = await context.newPage();
  const base64: string = await page.evaluate(
    ({ width, height, small }) => {
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      const ctx = canvas.getContext('2d')!;
      if (small) {
        ctx.fillStyle = '#3366aa';
        ctx.fillRect(0, 0, width, height);
      } else {
        const img = ctx.createImageData(width, height);
        for (let i = 0; i < img.data.length; i += 4) {
          img.data[i] = Math.random() * 255;
          img.data[i + 1] = Math.random() * 255;
          img.data[i + 2] = Math.random() * 255;
          img.data[i + 3] = 255;
        }
        ctx.putImageData(img, 0, 0);
      }
      return canvas.toDataURL('image/jpeg', 0.9).split(',')[1];
    },
    { width, height, small: !!opts.small },
  );
  await context.close();
  return { name: opts.name ?? 'passport.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(base64, 'base64') };
}

/**
 * A valid PDF with `pages` pages and a correct cross-reference table, padded
 * with page content up to about `bytes` bytes.
 */
export function pdf(opts: { pages?: number; bytes?: number; name?: string } = {}): FileFixture {
  const pages = opts.pages ?? 1;
  const target = opts.bytes ?? 48 * 1024;
  const perPage = Math.max(0, Math.floor(target / pages) - 200);
  const objects: string[] = [];
  const kids = Array.from({ length: pages }, (_, i) => `${3 + i * 2} 0 R`).join(' ');
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`);
  for (let i = 0; i < pages; i++) {
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${4 + i * 2} 0 R /Resources << /Font << /F1 ${3 + pages * 2} 0 R >> >> >>`);
    let text = `BT /F1 12 Tf 72 770 Td (Utility bill, page ${i + 1}) Tj ET\n`;
    let line = 0;
    while (text.length < perPage) {
      text += `BT /F1 8 Tf 72 ${700 - (line % 80) * 8} Td (Statement line ${line} 0123456789 account balance carried forward) Tj ET\n`;
      line += 1;
    }
    objects.push(`<< /Length ${text.length} >>\nstream\n${text}endstream`);
  }
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return { name: opts.name ?? 'utility-bill.pdf', mimeType: 'application/pdf', buffer: Buffer.from(out, 'latin1') };
}

/** Text that only pretends to be a photo. */
export function fakeJpeg(): FileFixture {
  const html = '<html><body><script>alert(1)</script></body></html>\n'.repeat(1200);
  return { name: 'passport.jpg', mimeType: 'image/jpeg', buffer: Buffer.from(html) };
}

/**
 * A photographed page, as a phone would take it: 2400 × 1800, light paper
 * with lines of dark "text" and the sensor's fine noise (which also keeps
 * the file above the size floor), then `flaw`: out of focus (blurred before
 * the noise), too dark, a lamp's glare (a blown-out patch), or taken from
 * afar (the page small on an even table).
 */
export async function pagePhoto(browser: Browser, flaw: 'none' | 'blurry' | 'dark' | 'glare' | 'far'): Promise<FileFixture> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const base64: string = await page.evaluate((flaw) => {
    const [width, height] = [2400, 1800];
    const paper = document.createElement('canvas');
    paper.width = width;
    paper.height = height;
    const p = paper.getContext('2d')!;
    p.fillStyle = flaw === 'dark' ? '#1c1c1c' : '#bebebe';
    p.fillRect(0, 0, width, height);
    p.fillStyle = flaw === 'dark' ? '#080808' : '#3c3c3c';
    for (let y = 60; y < height - 60; y += 36) {
      for (let x = 80; x < width - 80; x += 48) p.fillRect(x, y, 36, 6);
    }
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d')!;
    if (flaw === 'blurry') ctx.filter = 'blur(10px)';
    if (flaw === 'far') {
      ctx.fillStyle = '#6e5a48';
      ctx.fillRect(0, 0, width, height);
      ctx.drawImage(paper, 1300, 950, 800, 600);
    } else {
      ctx.drawImage(paper, 0, 0);
    }
    ctx.filter = 'none';
    if (flaw === 'glare') {
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(900, 600, 700, 500);
    }
    const img = ctx.getImageData(0, 0, width, height);
    for (let i = 0; i < img.data.length; i += 4) {
      const n = Math.floor(Math.random() * 5) - 2;
      for (let c = 0; c < 3; c++) img.data[i + c] = Math.max(0, Math.min(255, img.data[i + c] + (img.data[i + c] === 255 ? 0 : n)));
    }
    ctx.putImageData(img, 0, 0);
    return canvas.toDataURL('image/jpeg', 0.95).split(',')[1];
  }, flaw);
  await context.close();
  return { name: `page-${flaw}.jpg`, mimeType: 'image/jpeg', buffer: Buffer.from(base64, 'base64') };
}
