#!/usr/bin/env node
/**
 * Generates the tray and app icons into assets/icons/ with sharp (SVG → PNG), and the Windows .ico
 * files by hand: an ICO is a 6-byte header, one 16-byte directory entry per image, then the images —
 * PNG-compressed entries are valid since Windows Vista.
 *   tray-<state>.png (32 px, Linux/macOS), tray-<state>@2x.png (64 px), tray-<state>.ico (16/20/24/32/48)
 *   app-256.png, app-512.png, app.ico (16…256)
 * Usage: node scripts/make-icons.mjs
 */
import sharp from 'sharp';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'assets', 'icons');

// Colour and glyph per tray state (src/common/tray-state.ts TRAY_STATES). Shape differs per state too,
// so the state reads without colour (colour-blind users, monochrome taskbars).
const STATES = {
  healthy: { color: '#1f8a3b', glyph: '<path d="M9.5 16.5l4.5 4.5 8.5-9" fill="none" stroke="#fff" stroke-width="3.4" stroke-linecap="round" stroke-linejoin="round"/>' },
  updating: { color: '#1a5fd0', glyph: '<path d="M16 8.5v11M11 15l5 5 5-5M10.5 23.5h11" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/>' },
  degraded: { color: '#c07a00', glyph: '<path d="M16 8.5v9" stroke="#fff" stroke-width="3.6" stroke-linecap="round"/><circle cx="16" cy="23" r="2.1" fill="#fff"/>' },
  offline: { color: '#5d6673', glyph: '<path d="M10 16h12" stroke="#fff" stroke-width="3.6" stroke-linecap="round"/>' },
  error: { color: '#c62828', glyph: '<path d="M11 11l10 10M21 11l-10 10" stroke="#fff" stroke-width="3.4" stroke-linecap="round"/>' },
};

function traySvg({ color, glyph }) {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">
  <circle cx="16" cy="16" r="14.5" fill="${color}" stroke="#ffffff" stroke-opacity="0.85" stroke-width="1.5"/>${glyph}</svg>`;
}

const APP_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
  <rect x="2" y="2" width="60" height="60" rx="14" fill="#0b57d0"/>
  <rect x="13" y="15" width="38" height="28" rx="3" fill="none" stroke="#fff" stroke-width="3.5"/>
  <path d="M24 50h16" stroke="#fff" stroke-width="3.5" stroke-linecap="round"/>
  <rect x="20" y="22" width="13" height="8" rx="1.5" fill="none" stroke="#9fe7b2" stroke-width="2.5" stroke-dasharray="3 2"/>
  <circle cx="40" cy="33" r="3" fill="#9fe7b2"/></svg>`;

async function png(svg, size) {
  // density scales the 32/64-unit SVG so small sizes are rendered, not downsampled from a blur
  return sharp(Buffer.from(svg), { density: Math.max(72, (72 * size) / 32) }).resize(size, size).png({ compressionLevel: 9 }).toBuffer();
}

/** ICO container of PNG images (ICONDIR + ICONDIRENTRY[] + data). */
export function ico(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type 1 = icon
  header.writeUInt16LE(images.length, 4);
  const entries = [];
  let offset = 6 + 16 * images.length;
  for (const { size, data } of images) {
    const e = Buffer.alloc(16);
    e.writeUInt8(size >= 256 ? 0 : size, 0); // width (0 means 256)
    e.writeUInt8(size >= 256 ? 0 : size, 1); // height
    e.writeUInt8(0, 2); // palette colours
    e.writeUInt8(0, 3); // reserved
    e.writeUInt16LE(1, 4); // colour planes
    e.writeUInt16LE(32, 6); // bits per pixel
    e.writeUInt32LE(data.length, 8);
    e.writeUInt32LE(offset, 12);
    offset += data.length;
    entries.push(e);
  }
  return Buffer.concat([header, ...entries, ...images.map((i) => i.data)]);
}

export async function makeIcons(dir = out) {
  mkdirSync(dir, { recursive: true });
  const written = [];
  const put = (name, buf) => {
    writeFileSync(join(dir, name), buf);
    written.push(name);
  };
  for (const [state, spec] of Object.entries(STATES)) {
    const svg = traySvg(spec);
    put(`tray-${state}.png`, await png(svg, 32));
    put(`tray-${state}@2x.png`, await png(svg, 64));
    put(`tray-${state}.ico`, ico(await Promise.all([16, 20, 24, 32, 48].map(async (size) => ({ size, data: await png(svg, size) })))));
  }
  put('app-256.png', await png(APP_SVG, 256));
  put('app-512.png', await png(APP_SVG, 512));
  put('app.ico', ico(await Promise.all([16, 24, 32, 48, 64, 128, 256].map(async (size) => ({ size, data: await png(APP_SVG, size) })))));
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await makeIcons();
  console.log(`wrote ${files.length} icons to ${out}`);
}
