/**
 * Data plumbing of the data-driven PTQ steps: an in-memory sample of calibration batches (the PTQ
 * steps pass over it several times), per-channel statistics of tensors fetched from engine runs
 * (the observers give per-tensor statistics and min/max on axis 1; SmoothQuant needs |max| on the
 * last axis of MatMul inputs and bias correction needs means), and per-column means of a layer's
 * im2col matrix (E[x] under each weight, zero padding included).
 */
import { Tensor, type TensorStorage } from '../ir/tensor';
import type { QuantizedModel } from '../quantize/quantized-model';
import type { Session } from '../runtime/session';
import { convGeometry, type WeightMatrix } from './layout';

// Math functions as module constants: hot loops stay fast where the global object is slow to read (jest's sandbox).
const { abs, floor, min } = Math;

export type Feeds = Record<string, Tensor>;

function sliceBatch(t: Tensor, n: number): Tensor {
  if (t.shape.length === 0 || t.shape[0] <= n) return t;
  const inner = t.size / t.shape[0];
  const d = t.data;
  const part = Array.isArray(d) ? d.slice(0, n * inner) : (d as Float32Array).subarray(0, n * inner);
  return new Tensor(t.dtype, [n, ...t.shape.slice(1)], part as TensorStorage);
}

/** The first `limit` samples of a stream of batches, in memory (the last batch cut to fit). */
export async function takeSamples(batches: Iterable<Feeds> | AsyncIterable<Feeds>, limit: number): Promise<Feeds[]> {
  const out: Feeds[] = [];
  let have = 0;
  for await (const b of batches as AsyncIterable<Feeds>) {
    const first = Object.values(b)[0];
    const n = first && first.shape.length > 0 ? first.shape[0] : 1;
    const take = min(n, limit - have);
    out.push(take === n ? b : Object.fromEntries(Object.entries(b).map(([k, t]) => [k, sliceBatch(t, take)])));
    have += take;
    if (have >= limit) break;
  }
  return out;
}

/** Number of samples (dim 0 of the first input) in a list of batches. */
export function sampleCount(batches: readonly Feeds[]): number {
  let n = 0;
  for (const b of batches) {
    const first = Object.values(b)[0];
    n += first && first.shape.length > 0 ? first.shape[0] : 1;
  }
  return n;
}

/** Running per-channel sum and |max| of tensors, channels on axis 1 or on the last axis. */
export class ChannelStats {
  readonly sum: Float64Array;
  readonly absMax: Float64Array;
  count = 0;

  constructor(readonly channels: number, readonly lastAxis: boolean) {
    this.sum = new Float64Array(channels);
    this.absMax = new Float64Array(channels);
  }

  add(x: Tensor): void {
    const d = x.data as Float32Array;
    const C = this.channels;
    const axis = this.lastAxis ? x.shape.length - 1 : 1;
    if (x.shape[axis] !== C) throw new RangeError(`Expected ${C} channels on axis ${axis} but received shape [${x.shape.join(',')}]`);
    const inner = this.lastAxis ? 1 : x.shape.slice(2).reduce((a, b) => a * b, 1);
    const { sum, absMax } = this;
    for (let i = 0; i < d.length; i++) {
      const c = floor(i / inner) % C;
      const v = d[i];
      sum[c] += v;
      const a = abs(v);
      if (a > absMax[c]) absMax[c] = a;
    }
    this.count += d.length / C;
  }

  mean(): Float64Array {
    return this.sum.map((s) => (this.count ? s / this.count : 0));
  }
}

/**
 * Per-column sums of a layer's im2col matrix: column j of output channel c reads input channel
 * inChannel(c, j) at kernel offset j % kernel, so the sums are kept per (input channel, kernel
 * offset); positions in the zero padding count as 0. `mean()` gives E[x] under each weight.
 */
export class PatchMeans {
  readonly sum: Float64Array;
  count = 0;

  constructor(readonly m: WeightMatrix) {
    this.sum = new Float64Array(m.cin * m.kernel);
  }

  add(x: Tensor): void {
    const d = x.data as Float32Array;
    const { m } = this;
    if (m.kind !== 'Conv') {
      const K = m.cin;
      if (x.shape[x.shape.length - 1] !== K) throw new RangeError(`Expected ${K} values on the last axis but received shape [${x.shape.join(',')}]`);
      for (let i = 0; i < d.length; i++) this.sum[i % K] += d[i];
      this.count += d.length / K;
      return;
    }
    const g = convGeometry(m.node, m.weight.shape, x.shape);
    const N = x.shape[0], C = m.cin;
    const plane = g.inH * g.inW;
    const rows = (k: number) => coveredIndices(k, g.outH, g.sh, g.dh, g.ph, g.inH);
    const cols = (k: number) => coveredIndices(k, g.outW, g.sw, g.dw, g.pw, g.inW);
    const R = Array.from({ length: g.kh }, (_, k) => rows(k));
    const Cs = Array.from({ length: g.kw }, (_, k) => cols(k));
    const rs = new Float64Array(g.kw * g.inH);
    for (let n = 0; n < N; n++) {
      for (let ci = 0; ci < C; ci++) {
        const base = (n * C + ci) * plane;
        for (let b = 0; b < g.kw; b++) {
          for (let ih = 0; ih < g.inH; ih++) {
            let s = 0;
            const row = base + ih * g.inW;
            for (const iw of Cs[b]) s += d[row + iw];
            rs[b * g.inH + ih] = s;
          }
        }
        for (let a = 0; a < g.kh; a++) {
          for (let b = 0; b < g.kw; b++) {
            let s = 0;
            for (const ih of R[a]) s += rs[b * g.inH + ih];
            this.sum[ci * m.kernel + a * g.kw + b] += s;
          }
        }
      }
    }
    this.count += N * g.outH * g.outW;
  }

  mean(): Float64Array {
    return this.sum.map((s) => (this.count ? s / this.count : 0));
  }
}

/** Input indices that kernel offset k reads over all output positions (inside the input). */
function coveredIndices(k: number, out: number, stride: number, dil: number, pad: number, size: number): number[] {
  const r: number[] = [];
  for (let o = 0; o < out; o++) {
    const i = o * stride - pad + k * dil;
    if (i >= 0 && i < size) r.push(i);
  }
  return r;
}

/** E[y_c] = sum_j w(c, j) E[x under (c, j)] + b_c for every output channel. */
export function expectedOutput(m: WeightMatrix, w: ArrayLike<number>, patchMean: Float64Array, bias?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m.cout);
  for (let c = 0; c < m.cout; c++) {
    let s = bias ? bias[c] : 0;
    for (let j = 0; j < m.k; j++) s += w[m.index(c, j)] * patchMean[m.inChannel(c, j) * m.kernel + (j % m.kernel)];
    out[c] = s;
  }
  return out;
}

/** Runs `session` over `batches` fetching `tensors`, handing each batch's values to `visit`. */
export async function forEachBatch(
  session: { run: Session['run'] }, batches: readonly Feeds[], tensors: string[], visit: (values: Record<string, Tensor>) => void,
): Promise<void> {
  for (const b of batches) visit(await session.run(b, { outputs: tensors }));
}

/**
 * A tensor as the quantized model holds it: its integers dequantized with its home parameters (so a
 * graph input comes back quantized, which QuantizedModel.run's float view would not give), or the
 * float value for a tensor that is not quantized.
 */
export async function quantizedValue(qm: QuantizedModel, feeds: Feeds, name: string): Promise<Tensor> {
  const t = (await qm.run(feeds, { outputs: [name], integer: true }))[name];
  const q = qm.plan.tensors.get(name);
  if (!q || t.dtype === 'float32') return t;
  const s = q.scale[0], z = q.zeroPoint[0];
  const fround = Math.fround;
  return new Tensor('float32', t.shape, Float32Array.from(t.data as ArrayLike<number>, (v) => fround((v - z) * s)));
}
