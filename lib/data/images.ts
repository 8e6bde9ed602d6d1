/**
 * Decoding one image into the tensor data of one sample: sharp decodes (EXIF orientation applied,
 * converted to 8-bit sRGB, alpha dropped, no resize), then colour format, resize (lib/data/resize.ts),
 * (x - mean) / std and layout are applied here in float64. sharp is loaded on first use, so the
 * rest of npuquant works where it is not installed.
 */
import * as path from 'path';
import { NpuqError } from '../errors';
import { TensorStorage } from '../ir/tensor';
import { ImagePlan } from './input-config';
import { runStepsSliced, type Steps } from '../ir/steps';
import { resizePlanesSteps } from './resize';

type SharpFactory = typeof import('sharp');

/** File extensions read as images (lower case). These are the formats prebuilt sharp decodes. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif'];
/** Image formats prebuilt sharp cannot decode: rejected with a message instead of skipped. */
export const UNREADABLE_IMAGE_EXTENSIONS: readonly string[] = ['.bmp', '.ppm', '.pgm', '.pbm', '.heic', '.jp2', '.jxl'];

export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

let sharpModule: SharpFactory | undefined;

/** Loads sharp once; NpuqError('UNSUPPORTED') saying how to get it when it cannot be loaded. */
export function loadSharp(): SharpFactory {
  if (sharpModule === undefined) {
    try {
      sharpModule = require('sharp') as SharpFactory;
    } catch (err) {
      throw new NpuqError('UNSUPPORTED', `Reading images needs the "sharp" package, which could not be loaded (${(err as Error).message}); install it with "npm i sharp" or pass .npy files instead`, { cause: err });
    }
  }
  return sharpModule;
}

/** Rounds to nearest, ties to even. */
function roundEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Decoded 8-bit pixels, interleaved, 1 or 3 channels. */
interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

async function decode(file: string, origin: string): Promise<Pixels> {
  const sharp = loadSharp();
  try {
    const { data, info } = await sharp(file, { failOn: 'warning' })
      .autoOrient()
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 && info.channels !== 3) {
      throw new Error(`decoded to ${info.channels} channels, expected 1 or 3`);
    }
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (/Input file is missing/i.test(msg)) {
      throw new NpuqError('FILE_NOT_FOUND', `Image "${file}"${origin} does not exist`, { file, cause: err });
    }
    throw new NpuqError('INVALID_DATA', `Cannot decode image "${file}"${origin}: ${msg.split('\n')[0]}; it is corrupt or not an image sharp reads (JPEG, PNG, WebP, TIFF, GIF, AVIF)`, { file, cause: err });
  }
}

/** Pixels per step of the per-pixel loops below (a few ms of work at most). */
const CHUNK = 1 << 16;

/** Planar float64 pixels of the plan's colour format, 0..255 (steps of CHUNK pixels). */
function* toPlanes(px: Pixels, plan: ImagePlan): Steps<Float64Array> {
  const n = px.width * px.height;
  const src = px.data;
  const out = new Float64Array(plan.channels * n);
  for (let i0 = 0; i0 < n; i0 += CHUNK) {
    const i1 = Math.min(n, i0 + CHUNK);
    if (px.channels === 1) {
      for (let c = 0; c < plan.channels; c++) for (let i = i0; i < i1; i++) out[c * n + i] = src[i];
    } else if (plan.colorFormat === 'GRAY') {
      // BT.601 luma in integers so that R = G = B gives exactly that value.
      for (let i = i0; i < i1; i++) out[i] = (299 * src[3 * i] + 587 * src[3 * i + 1] + 114 * src[3 * i + 2]) / 1000;
    } else {
      const order = plan.colorFormat === 'BGR' ? [2, 1, 0] : [0, 1, 2];
      for (let c = 0; c < 3; c++) {
        const s = order[c];
        for (let i = i0; i < i1; i++) out[c * n + i] = src[3 * i + s];
      }
    }
    yield;
  }
  return out;
}

/**
 * Decodes `file` into one sample of the plan: shape [C, H, W] (NCHW) or [H, W, C] (NHWC), without
 * the batch dimension. `origin` is appended to error messages (e.g. ` (list "a.txt" line 3)`).
 * Errors: FILE_NOT_FOUND; INVALID_DATA naming the file for a corrupt or unsupported image.
 */
export async function loadImageSample(file: string, plan: ImagePlan, origin = ''): Promise<{ shape: number[]; data: TensorStorage }> {
  const px = await decode(file, origin);
  // The pixel work runs in time slices: a large photo takes tens of ms, which would hold the event loop.
  return runStepsSliced(samplePixels(px, plan));
}

/** Colour format, resize, (x - mean) / std and layout of decoded pixels, as steps. */
function* samplePixels(px: Pixels, plan: ImagePlan): Steps<{ shape: number[]; data: TensorStorage }> {
  const { channels: C, height: H, width: W } = plan;
  const planes = yield* resizePlanesSteps(yield* toPlanes(px, plan), C, px.height, px.width, H, W, plan.resize);
  const n = H * W;
  const data = plan.dtype === 'float32' ? new Float32Array(C * n) : plan.dtype === 'uint8' ? new Uint8Array(C * n) : new Int8Array(C * n);
  const [lo, hi] = plan.dtype === 'uint8' ? [0, 255] : [-128, 127];
  const integer = plan.dtype !== 'float32';
  const nhwc = plan.layout === 'NHWC';
  for (let c = 0; c < C; c++) {
    const mean = plan.mean[c];
    const std = plan.std[c];
    for (let i0 = 0; i0 < n; i0 += CHUNK) {
      for (let i = i0, i1 = Math.min(n, i0 + CHUNK); i < i1; i++) {
        let v = (planes[c * n + i] - mean) / std;
        if (integer) v = Math.min(hi, Math.max(lo, roundEven(v)));
        data[nhwc ? i * C + c : c * n + i] = v;
      }
      yield;
    }
  }
  return { shape: nhwc ? [H, W, C] : [C, H, W], data };
}
