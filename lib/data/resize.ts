/**
 * Image resizing in float64 with OpenCV's semantics, done separably (rows, then columns) on planar
 * data. Why not sharp's resize: libvips maps pixel centres differently when enlarging and
 * antialiases when shrinking with 'linear', so a 20→32 digit differs from cv2 / torch / ONNX
 * Resize by up to 88/255; and it rounds to uint8. Models are trained on cv2- or torch-resized
 * inputs, so calibration data must be resized the same way.
 *
 * Per axis, with scale = src / dst:
 * - bilinear (cv2.INTER_LINEAR): x = (d + 0.5) * scale - 0.5, clamped to [0, src - 1]; weights
 *   1 - frac, frac on floor(x) and floor(x) + 1. No antialiasing when shrinking.
 * - nearest (cv2.INTER_NEAREST): floor(d * scale), at most src - 1.
 * - area (cv2.INTER_AREA): when neither axis grows, the mean over the source interval
 *   [d * scale, (d + 1) * scale), partial pixels weighted by coverage; otherwise (on both axes, as
 *   OpenCV) linear between floor(d * scale) and the next pixel with weight
 *   frac((d + 1) - (floor(d * scale) + 1) / scale), which replicates pixels at integer factors.
 *
 * Checked against OpenCV 4.6 cv2.resize on float32 images (max difference 2e-3 on 0..255, from
 * OpenCV's float32 coefficients) for shrinking, enlarging and mixed sizes.
 */
import { runSteps, type Steps } from '../ir/steps';
import { ResizeMethod } from './input-config';

/** The source indices and weights of each destination index along one axis. */
interface Taps {
  /** Taps per destination index. */
  k: number;
  index: Int32Array;
  weight: Float64Array;
}

function axisTaps(src: number, dst: number, method: ResizeMethod, box: boolean): Taps {
  const scale = src / dst;
  if (method === 'nearest') {
    const index = new Int32Array(dst);
    for (let d = 0; d < dst; d++) index[d] = Math.min(Math.floor(d * scale), src - 1);
    return { k: 1, index, weight: new Float64Array(dst).fill(1) };
  }
  if (method === 'area' && box) {
    const k = Math.ceil(scale) + 1;
    const index = new Int32Array(dst * k);
    const weight = new Float64Array(dst * k);
    for (let d = 0; d < dst; d++) {
      const start = d * scale;
      const end = Math.min((d + 1) * scale, src);
      let t = 0;
      for (let j = Math.floor(start); j < end && t < k; j++) {
        const cover = Math.min(end, j + 1) - Math.max(start, j);
        if (cover <= 1e-12) continue;
        index[d * k + t] = j;
        weight[d * k + t] = cover / scale;
        t++;
      }
      for (; t < k; t++) index[d * k + t] = index[d * k];
    }
    return { k, index, weight };
  }
  const index = new Int32Array(dst * 2);
  const weight = new Float64Array(dst * 2);
  for (let d = 0; d < dst; d++) {
    let x0: number;
    let f: number;
    if (method === 'bilinear') {
      const x = Math.max((d + 0.5) * scale - 0.5, 0);
      x0 = Math.floor(x);
      f = x - x0;
    } else {
      // cv2.INTER_AREA when an axis grows.
      x0 = Math.floor(d * scale);
      f = d + 1 - (x0 + 1) / scale;
      f = f <= 0 ? 0 : f - Math.floor(f);
    }
    if (x0 >= src - 1) {
      x0 = src - 1;
      f = 0;
    }
    index[2 * d] = x0;
    index[2 * d + 1] = Math.min(x0 + 1, src - 1);
    weight[2 * d] = 1 - f;
    weight[2 * d + 1] = f;
  }
  return { k: 2, index, weight };
}

/**
 * Resizes `channels` planes of sh x sw (planar, row-major) to dh x dw. Returns new planar data;
 * when the size does not change, returns `src` itself.
 */
export function resizePlanes(src: Float64Array, channels: number, sh: number, sw: number, dh: number, dw: number, method: ResizeMethod): Float64Array {
  return runSteps(resizePlanesSteps(src, channels, sh, sw, dh, dw, method));
}

/** {@link resizePlanes} as steps (one per source and per destination row), for time-sliced callers. */
export function* resizePlanesSteps(src: Float64Array, channels: number, sh: number, sw: number, dh: number, dw: number, method: ResizeMethod): Steps<Float64Array> {
  if (sh === dh && sw === dw) return src;
  const box = sh >= dh && sw >= dw;
  const { k: kx, index: ix, weight: wx } = axisTaps(sw, dw, method, box);
  const { k: ky, index: iy, weight: wy } = axisTaps(sh, dh, method, box);
  const rows = new Float64Array(sh * dw);
  const out = new Float64Array(channels * dh * dw);
  for (let c = 0; c < channels; c++) {
    const plane = c * sh * sw;
    // Rows: sh x sw -> sh x dw.
    for (let y = 0; y < sh; y++) {
      const row = plane + y * sw;
      const r = y * dw;
      for (let x = 0; x < dw; x++) {
        let acc = 0;
        for (let t = 0, i = x * kx; t < kx; t++, i++) acc += src[row + ix[i]] * wx[i];
        rows[r + x] = acc;
      }
      yield;
    }
    // Columns: sh x dw -> dh x dw, one weighted source row at a time (same sums, same order).
    for (let y = 0; y < dh; y++) {
      const o = (c * dh + y) * dw;
      for (let t = 0; t < ky; t++) {
        const wgt = wy[y * ky + t];
        const r = iy[y * ky + t] * dw;
        if (t === 0) for (let x = 0; x < dw; x++) out[o + x] = rows[r + x] * wgt;
        else for (let x = 0; x < dw; x++) out[o + x] += rows[r + x] * wgt;
      }
      yield;
    }
  }
  return out;
}
