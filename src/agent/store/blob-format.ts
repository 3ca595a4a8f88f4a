/**
 * The on-disk blob formats of the model store (blob-store.ts has the whole story): v1 whole-file AES-256-GCM,
 * v2 chunked AES-256-GCM (each chunk sealed on its own at a fixed offset; nonce = salt ‖ index; the AAD binds
 * modelId, layout and index). Shared by the writer (blob-store.ts) and the reader (blob-read.ts).
 */
import { createDecipheriv } from 'node:crypto';
import { AgentError } from '../../common/errors.js';

export interface BlobLayout {
  size: number;
  chunkSize: number;
}

export const MAGIC = Buffer.from('RPAB', 'ascii');
export const FORMAT_VERSION = 1;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const HEADER_BYTES = MAGIC.length + 1 + IV_BYTES;
export const READ_PIECE = 1 << 20;
/** v2 header: MAGIC, version, 3 reserved, salt(8), chunkSize u32 BE, size u64 BE, 4 reserved */
export const FORMAT_CHUNKED = 2;
export const V2_HEADER_BYTES = 32;
export const SALT_BYTES = 8;

/** a sealed read paces itself (yields, or sleeps what the budget owes) after about this many bytes */
export const READ_YIELD_BYTES = 1 << 20;

export function v2Header(salt: Buffer, layout: BlobLayout): Buffer {
  const h = Buffer.alloc(V2_HEADER_BYTES);
  MAGIC.copy(h, 0);
  h[MAGIC.length] = FORMAT_CHUNKED;
  salt.copy(h, 8);
  h.writeUInt32BE(layout.chunkSize, 16);
  h.writeBigUInt64BE(BigInt(layout.size), 20);
  return h;
}

export function nonceOf(salt: Uint8Array, index: number): Buffer {
  const iv = Buffer.alloc(IV_BYTES);
  iv.set(salt, 0);
  iv.writeUInt32BE(index, SALT_BYTES);
  return iv;
}

export function aadOf(modelId: string, layout: BlobLayout, index: number): Buffer {
  return Buffer.from(`rpa-blob-v2:${modelId}:${layout.size}:${layout.chunkSize}:${index}`, 'ascii');
}

export function openChunk(key: Uint8Array, modelId: string, layout: BlobLayout, salt: Uint8Array, index: number, ct: Uint8Array, tag: Uint8Array): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, nonceOf(salt, index));
  d.setAAD(aadOf(modelId, layout, index));
  d.setAuthTag(tag);
  try {
    const out = d.update(ct);
    d.final(); // authenticates; GCM adds no bytes here (no concat: a second copy of every chunk for the GC)
    return out;
  } catch {
    throw new AgentError('store_corrupt', `chunk ${index} of ${modelId} fails authentication (tampered, or a different key)`);
  }
}
