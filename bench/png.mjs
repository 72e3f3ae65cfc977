// A real PNG of `w`×`h` zero pixels (`channels` 3 or 4) in one IDAT: a few
// hundred KiB that decode to width × height × channels bytes. The
// decompression-bomb benchmarks share it.
import { deflateSync, crc32 } from 'node:zlib';

export function png(w, h, channels) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = channels === 4 ? 6 : 2;
  const raw = Buffer.alloc((w * channels + 1) * h); // filter byte 0 and zeros: compresses ~1000:1
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}
