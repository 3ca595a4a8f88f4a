/**
 * Cheap PNG checks before any decoding (issue 5 §4: a 50 MP image must be refused without decoding it).
 * The IHDR chunk is the first chunk of every PNG (PNG spec §5.6), so width and height sit at fixed offsets.
 */
import { AgentError } from '../../common/errors.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngLimits {
  maxPngBytes: number;
  maxPixels: number;
  maxSide: number;
}

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
}

export function readPngHeader(buf: Buffer): PngHeader {
  // signature(8) + length(4) + "IHDR"(4) + width(4) + height(4) + depth(1) + color(1)
  if (buf.length < 26 || !buf.subarray(0, 8).equals(PNG_SIGNATURE) || buf.toString('latin1', 12, 16) !== 'IHDR')
    throw new AgentError('bad_image', 'the image is not a PNG (send PNG bytes, base64-encoded)');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bitDepth: buf[24]!, colorType: buf[25]! };
}

/** Decodes base64, then checks byte size, signature, and dimensions from the header. */
export function checkPngBase64(b64: string, limits: PngLimits, what = 'image'): { png: Buffer; header: PngHeader } {
  // base64 → bytes is ~3/4 of the length: refuse before allocating when it cannot fit
  if (Math.floor((b64.length * 3) / 4) > limits.maxPngBytes + 3)
    throw new AgentError('image_too_large', `the ${what} PNG is over ${limits.maxPngBytes} bytes`, { maxPngBytes: limits.maxPngBytes });
  const png = Buffer.from(b64, 'base64');
  if (png.length > limits.maxPngBytes)
    throw new AgentError('image_too_large', `the ${what} PNG is over ${limits.maxPngBytes} bytes`, { maxPngBytes: limits.maxPngBytes });
  const header = readPngHeader(png);
  const { width, height } = header;
  if (width === 0 || height === 0) throw new AgentError('bad_image', `the ${what} PNG has a zero width or height`);
  if (width > limits.maxSide || height > limits.maxSide || width * height > limits.maxPixels)
    throw new AgentError(
      'image_too_large',
      `the ${what} is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} MP); the limit is ${(limits.maxPixels / 1e6).toFixed(1)} MP and ${limits.maxSide} px per side`,
      { width, height, maxPixels: limits.maxPixels, maxSide: limits.maxSide },
    );
  return { png, header };
}
