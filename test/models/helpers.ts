/**
 * Shared helpers of the model comparison tests: metrics, slicing batches, image loading (sharp) and
 * onnxruntime-node runs.
 */
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { Tensor } from '../../lib/ir/tensor';

/** Cosine similarity in double precision (1 when both are all zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`cosine of arrays of length ${a.length} and ${b.length}`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (aa === 0 && bb === 0) return 1;
  return ab / Math.sqrt(aa * bb);
}

/** max |a - b| (NaN when either holds a NaN). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`maxAbsDiff of arrays of length ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN;
    if (d > m) m = d;
  }
  return m;
}

/** Row-wise argmax of a [rows, cols] matrix stored flat. */
export function argmaxRows(x: ArrayLike<number>, cols: number): number[] {
  const rows = x.length / cols;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (x[r * cols + c] > x[r * cols + best]) best = c;
    out.push(best);
  }
  return out;
}

/** Rows [start, start + count) of a float32 tensor along its first axis. */
export function sliceBatch(t: Tensor, start: number, count: number): Tensor {
  const per = t.size / t.shape[0];
  const data = (t.data as Float32Array).slice(start * per, (start + count) * per);
  return new Tensor('float32', [count, ...t.shape.slice(1)], data);
}

/** Runs an onnxruntime session on one float32 input; returns the named (or first) output. */
export async function runOrt(session: ort.InferenceSession, input: Tensor, output?: string): Promise<{ data: Float32Array; dims: number[] }> {
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data as Float32Array, input.shape.slice()) };
  const res = await session.run(feeds);
  const t = res[output ?? session.outputNames[0]];
  return { data: t.data as Float32Array, dims: t.dims.slice() };
}

/**
 * Decodes an image with sharp, resizes it to exactly width x height (aspect ratio not kept, as
 * PaddleOCR's det resize does), and returns a float32 [1,3,height,width] RGB tensor normalised as
 * (x / 255 - mean[c]) / std[c].
 */
export async function imageTensor(file: string, width: number, height: number, mean: readonly number[], std: readonly number[]): Promise<Tensor> {
  const { data, info } = await sharp(file)
    .removeAlpha()
    .toColourspace('srgb')
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new Error(`sharp returned ${info.width}x${info.height}x${info.channels} for ${file}, expected ${width}x${height}x3`);
  }
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = (data[i * 3 + c] / 255 - mean[c]) / std[c];
  }
  return new Tensor('float32', [1, 3, height, width], out);
}

/** Formats rows as a markdown table (first row = header). */
export function markdownTable(rows: (string | number)[][]): string {
  const [head, ...body] = rows;
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** A compact number for tables. */
export function sci(x: number): string {
  if (x === 0) return '0';
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(2);
}
