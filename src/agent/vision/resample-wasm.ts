/**
 * The crop resampler of resample.ts (Pillow BILINEAR, bit for bit) run as WebAssembly SIMD for RGBA sources
 * (screen captures): one 128-bit vector holds a pixel's four channels, so a filter tap is one load, one multiply
 * and one add instead of three of each in JavaScript. Same integer arithmetic (wasm/resample.wat), so the same
 * floats; test/unit/vision-resample-wasm.test.ts checks it against the Pillow fixtures and the JS path.
 *
 * WebAssembly reads only its own memory, so each crop's pixels are copied in first (≈ the crop's bytes; the busy
 * screen's 127 crops copy ~7 MB, a memcpy). The memory grows to the largest crop seen (a whole 1080p frame: ~9 MB)
 * and is dropped with the TapCache that owns this resampler (the pipeline's idle release).
 * Where WebAssembly is off (node --jitless or --no-expose-wasm in the process running the pipeline) the JS path
 * serves: same floats, ~3x the crop time.
 */
import { RESAMPLE_WASM_BASE64 } from './wasm/resample-wasm-bytes.js';

/** Coefficients as resample.ts keeps them (per output pixel: first source index, tap count, offset into kk). */
export interface WasmTaps {
  start: Int32Array;
  count: Int32Array;
  off: Int32Array;
  kk: Int32Array;
}

interface Exports {
  memory: WebAssembly.Memory;
  hpass(src: number, sw: number, sh: number, outW: number, start: number, count: number, off: number, kk: number, tmp: number): void;
  vpass(tmp: number, outW: number, outH: number, start: number, count: number, off: number, kk: number, dst: number): void;
  planes(src: number, n: number, t0: number, t1: number, t2: number, o0: number, o1: number, o2: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is not available (then the JS path serves). */
function wasmModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = Buffer.from(RESAMPLE_WASM_BASE64, 'base64');
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

const TABLES_BYTES = 3 * 256 * 4;
const align = (n: number) => (n + 15) & ~15;

export class WasmCropResampler {
  private readonly x: Exports;
  private u8: Uint8Array;
  private i32: Int32Array;
  private f32: Float32Array;
  private tables: readonly Float32Array[] | undefined;

  private constructor(instance: WebAssembly.Instance) {
    this.x = instance.exports as unknown as Exports;
    this.u8 = new Uint8Array(this.x.memory.buffer);
    this.i32 = new Int32Array(this.x.memory.buffer);
    this.f32 = new Float32Array(this.x.memory.buffer);
  }

  /** A resampler with its own memory, or undefined where WebAssembly SIMD is not available. */
  static create(): WasmCropResampler | undefined {
    const m = wasmModule();
    return m ? new WasmCropResampler(new WebAssembly.Instance(m)) : undefined;
  }

  /** bytes of WebAssembly memory held */
  heldBytes(): number {
    return this.x.memory.buffer.byteLength;
  }

  private ensure(bytes: number): void {
    const have = this.x.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.x.memory.grow(Math.ceil((bytes - have) / 65536));
    this.u8 = new Uint8Array(this.x.memory.buffer);
    this.i32 = new Int32Array(this.x.memory.buffer);
    this.f32 = new Float32Array(this.x.memory.buffer);
  }

  /** Writes taps at byte `at`; returns the byte offsets of its four arrays and the end. */
  private putTaps(t: WasmTaps, at: number): { start: number; count: number; off: number; kk: number; end: number } {
    const start = at;
    const count = align(start + t.start.byteLength);
    const off = align(count + t.count.byteLength);
    const kk = align(off + t.off.byteLength);
    this.i32.set(t.start, start >>> 2);
    this.i32.set(t.count, count >>> 2);
    this.i32.set(t.off, off >>> 2);
    this.i32.set(t.kk, kk >>> 2);
    return { start, count, off, kk, end: align(kk + t.kk.byteLength) };
  }

  /**
   * resample.ts resampleCropInto for a 4-channel source (RGBA words, alpha ignored): `h` the horizontal taps
   * (sw → outW; undefined when outW = sw), `v` the vertical ones (sh → outH; undefined when outH = sh).
   */
  resample(
    src: Uint8Array,
    width: number,
    sx: number,
    sy: number,
    sw: number,
    sh: number,
    outW: number,
    outH: number,
    out: Float32Array,
    outOffset: number,
    tables: readonly [Float32Array, Float32Array, Float32Array],
    bgr: boolean,
    h: WasmTaps | undefined,
    v: WasmTaps | undefined,
  ): void {
    const plane = outW * outH;
    const tapBytes = (t: WasmTaps | undefined) => (t ? 3 * align(t.start.byteLength) + align(t.kk.byteLength) + 64 : 0);
    const srcAt = align(TABLES_BYTES + tapBytes(h) + tapBytes(v));
    const tmpAt = align(srcAt + sw * sh * 4);
    const dstAt = align(tmpAt + (h ? sh * outW * 4 : 0));
    const outAt = align(dstAt + (v ? plane * 4 : 0));
    this.ensure(outAt + 3 * plane * 4);
    if (this.tables !== tables) {
      // tables are per output plane: [0] for plane 0 (R, or B for BGR models) ...
      for (let c = 0; c < 3; c++) this.f32.set(tables[c]!, (c * 256 * 4) >>> 2);
      this.tables = tables;
    }
    let at = TABLES_BYTES;
    const ht = h ? this.putTaps(h, at) : undefined;
    if (ht) at = ht.end;
    const vt = v ? this.putTaps(v, at) : undefined;
    // the crop's rows, packed (sw words per row)
    const rowBytes = sw * 4;
    if (sx === 0 && sw === width) this.u8.set(src.subarray(sy * rowBytes, (sy + sh) * rowBytes), srcAt);
    else for (let y = 0; y < sh; y++) {
      const p = ((sy + y) * width + sx) * 4;
      this.u8.set(src.subarray(p, p + rowBytes), srcAt + y * rowBytes);
    }
    let words = srcAt;
    if (ht) {
      this.x.hpass(srcAt, sw, sh, outW, ht.start, ht.count, ht.off, ht.kk, tmpAt);
      words = tmpAt;
    }
    if (vt) {
      this.x.vpass(words, outW, outH, vt.start, vt.count, vt.off, vt.kk, dstAt);
      words = dstAt;
    }
    // source channel 0 goes to plane 0 (RGB) or 2 (BGR), through that plane's table; channel 2 the other way
    const p0 = bgr ? 2 : 0;
    const p2 = bgr ? 0 : 2;
    this.x.planes(words, plane, p0 * 1024, 1024, p2 * 1024, outAt + p0 * plane * 4, outAt + plane * 4, outAt + p2 * plane * 4);
    out.set(this.f32.subarray(outAt >>> 2, (outAt >>> 2) + 3 * plane), outOffset);
  }
}
