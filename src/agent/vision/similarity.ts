/** Embedding helpers for the similarity model: L2 normalisation and cosine similarity (dot of unit vectors). */

export function l2Normalise(v: ArrayLike<number>, offset = 0, n = v.length - offset): Float32Array {
  const out = new Float32Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) s += v[offset + i]! * v[offset + i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < n; i++) out[i] = v[offset + i]! * inv;
  return out;
}

/** Splits a [N, D] output into N unit vectors. */
export function splitEmbeddings(data: ArrayLike<number>, dims: readonly number[]): Float32Array[] {
  const n = dims[0] ?? 1;
  const d = dims.slice(1).reduce((a, b) => a * b, 1);
  const out: Float32Array[] = [];
  for (let i = 0; i < n; i++) out.push(l2Normalise(data, i * d, d));
  return out;
}

/** Cosine similarity of two unit vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}
