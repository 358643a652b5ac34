/* global console, Buffer, URL */
// Writes the PNG app icons (a white speech bubble on the accent colour) without any image library.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

function crc32(buf) {
  let c;
  const table = [];
  for (let n = 0; n < 256; n++) {
    c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  let crc = 0xffffffff;
  for (const b of buf) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size, maskable) {
  const accent = [0x2f, 0x6f, 0xdf];
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const r = maskable ? 0 : size * 0.22;
  const inset = maskable ? size * 0.2 : size * 0.22;
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const i = y * (size * 4 + 1) + 1 + x * 4;
      // Rounded square background.
      const dx = Math.max(r - x, x - (size - 1 - r), 0);
      const dy = Math.max(r - y, y - (size - 1 - r), 0);
      const inside = dx * dx + dy * dy <= r * r;
      // Speech bubble: a rounded rectangle plus a tail.
      const bx0 = inset, bx1 = size - inset, by0 = inset, by1 = size - inset * 1.35;
      const inBubble = x >= bx0 && x <= bx1 && y >= by0 && y <= by1;
      const tail = y > by1 && y < by1 + inset * 0.5 && x > bx0 + (size - 2 * inset) * 0.2 && x < bx0 + (size - 2 * inset) * 0.2 + (by1 + inset * 0.5 - y);
      const white = inBubble || tail;
      const [cr, cg, cb] = white ? [255, 255, 255] : accent;
      raw[i] = cr;
      raw[i + 1] = cg;
      raw[i + 2] = cb;
      raw[i + 3] = inside ? 255 : 0;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8;
  header[9] = 6;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const out = new URL('../public/', import.meta.url);
writeFileSync(new URL('icon-192.png', out), png(192, false));
writeFileSync(new URL('icon-512.png', out), png(512, false));
writeFileSync(new URL('icon-maskable-512.png', out), png(512, true));
console.log('icons: written to web/public');
