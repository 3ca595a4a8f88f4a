/**
 * Real variant files for the variant tests (issue 21 §1), until the INT8 recipe's files are merged: a real ONNX
 * graph made distinct by appending a ModelProto `doc_string` (field 6) — protobuf merges a message with what is
 * appended to it, so onnxruntime loads the same graph from different bytes (another sha256). The "int8" stand-in
 * is tiny-b's graph (y = 3x − 1) next to the base tiny-a (y = 2x + 1), so the output proves which file serves.
 */
import { createHash } from 'node:crypto';
import type { SelfTest } from '../../src/common/wire.js';
import { parseCpuinfoFlags } from '../../src/agent/cpu-flags.js';
import { readFileSync } from 'node:fs';

export function withDocString(bytes: Uint8Array, doc: string): Uint8Array {
  const text = new TextEncoder().encode(doc);
  if (text.length > 127) throw new Error('short doc strings only (one-byte length)');
  return new Uint8Array([...bytes, (6 << 3) | 2, text.length, ...text]);
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** x = [1, 2, 3, 4] → y; the expected values are what onnxruntime computes on the file (tiny-b: 3x − 1). */
export function selfTestOf(expected: number[]): SelfTest {
  return { input: { name: 'x', shape: [1, 4], data: [1, 2, 3, 4] }, expected: { name: 'y', values: expected }, tolerance: 1e-4 };
}

/** A CPU flag this machine really has (Linux /proc/cpuinfo), preferring the ones the INT8 recipe names. */
export function aFlagThisCpuHas(): string | undefined {
  let flags: string[] = [];
  try {
    flags = parseCpuinfoFlags(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return undefined;
  }
  return ['avx512_vnni', 'avx_vnni', 'avx2', 'sse2'].find((f) => flags.includes(f)) ?? flags[0];
}

export function variantJson(o: { name?: string; baseSha256: string; baseVersion?: string; selfTest: SelfTest; cpuFlags?: string[]; providers?: string[] }): Record<string, unknown> {
  return {
    name: o.name ?? 'int8',
    precision: 'int8',
    format: 'qdq',
    base: { version: o.baseVersion ?? '1.0.0', sha256: o.baseSha256 },
    selfTest: o.selfTest,
    prefers: { providers: o.providers ?? ['cpu'], ...(o.cpuFlags ? { cpuFlags: o.cpuFlags } : {}) },
    measured: { note: 'test stand-in' },
  };
}
