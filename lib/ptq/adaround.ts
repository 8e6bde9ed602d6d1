/**
 * AdaRound over a quantization plan: for each integer Conv/Gemm/MatMul in topological order, the
 * layer's input is taken from the quantized model (with every earlier layer already AdaRounded) and
 * its float output from the float model on the same calibration samples; the up/down rounding of
 * each weight is learned against that output (adaround-opt.ts) and written into the plan's
 * NodeQuant.weight.values. Scales, zero points and the bias stay as planned.
 *
 * The reconstruction target is the layer's pre-activation output (a fused Relu/Clip is not part of
 * the loss; the paper reports a small gain from including it). Everything is bounded: `samples`
 * calibration samples, at most `maxRows` positions per layer (evenly strided), `iterations` steps
 * per layer, and `timeLimitMs` for the whole model, shared between layers in proportion to their
 * cost per step (a layer that would overrun makes fewer steps, its annealing compressed to fit; the
 * report gives each layer's steps). Results are deterministic when no layer hits the time limit.
 */
import { inferGraph } from '../ir/infer';
import type { Model } from '../ir/graph';
import type { Tensor } from '../ir/tensor';
import type { ChipProfile } from '../quantize/profile';
import type { NodeQuant, QuantPlan } from '../quantize/plan/types';
import { QuantizedModel } from '../quantize/quantized-model';
import { Session } from '../runtime/session';
import { optimizeRounding, reconstruction, dequantize, type LayerProblem, type RoundingProblem } from './adaround-opt';
import { quantizedValue, sampleCount, type Feeds } from './data';
import { convGeometry, weightMatrix, type WeightMatrix } from './layout';

// Math functions as module constants: hot loops stay fast where the global object is slow to read (jest's sandbox).
const { ceil, floor, max, min } = Math;

export interface AdaRoundOptions {
  /** Optimization steps per layer. Default 500. */
  iterations?: number;
  /** Calibration samples (the first ones) the layer inputs and outputs come from. Default 128. */
  samples?: number;
  /** Wall-clock budget of the whole model in ms, shared between layers by cost; a hard limit (a layer stops when it is reached). Default 30000. */
  timeLimitMs?: number;
  /** Adam learning rate on V. Default 0.01. */
  learningRate?: number;
  /** Weight of the rounding regularizer (lambda). Default 0.01. */
  regularization?: number;
  /** Sampled positions (rows) per layer at most. Default 16384. */
  maxRows?: number;
}

/** What AdaRound did to one layer. */
export interface AdaRoundLayer {
  name: string;
  steps: number;
  rows: number;
  /** Reconstruction loss (sum over channels, mean over rows) with the planned nearest rounding. */
  lossNearest: number;
  /** The same with the learned rounding (kept only when lower). */
  lossAdaRound: number;
  /** Fraction of weights rounded the other way than nearest. */
  flipped: number;
  ms: number;
}

function positive(v: unknown, what: string, integer: boolean): void {
  if (v !== undefined && (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v)))) {
    throw new RangeError(`Expected a positive ${integer ? 'integer' : 'number'} for adaRound.${what} but received ${String(v)}`);
  }
}

/** The integer Conv/Gemm/MatMul layers of the plan with quantized weights, in graph order. */
function roundableLayers(model: Model, plan: QuantPlan): { m: WeightMatrix; nq: NodeQuant }[] {
  const out: { m: WeightMatrix; nq: NodeQuant }[] = [];
  for (const node of model.graph.nodes) {
    const nq = plan.nodes.get(node.name);
    if (!nq?.weight || nq.execution !== 'integer' || nq.fusedInto !== undefined) continue;
    const m = weightMatrix(model.graph, node);
    if (m) out.push({ m, nq });
  }
  return out;
}

/** Rows (output positions) per sample of each layer, from shape inference at batch 1 (1 when unknown). */
function rowsPerSample(model: Model, layers: { m: WeightMatrix }[], first: Feeds): Map<string, number> {
  const out = new Map<string, number>();
  let types: ReturnType<typeof inferGraph>['types'] | undefined;
  try {
    types = inferGraph(model.graph, { inputShapes: new Map(Object.entries(first).map(([k, t]) => [k, [1, ...t.shape.slice(1)]])) }).types;
  } catch {
    types = undefined;
  }
  for (const { m } of layers) {
    const shape = types?.get(m.node.outputs[0])?.shape;
    const dims = shape && shape.every((d) => typeof d === 'number') ? (shape as number[]) : undefined;
    let r = 1;
    if (dims) r = m.kind === 'Conv' ? dims.slice(2).reduce((a, b) => a * b, 1) : dims.slice(0, -1).reduce((a, b) => a * b, 1);
    out.set(m.node.name, max(1, r));
  }
  return out;
}

/** Accumulates the reconstruction data of one layer from float and quantized inputs. */
class ProblemBuilder {
  readonly problem: LayerProblem;
  private readonly wm: Float64Array;
  private readonly step: number;
  private row = 0;
  private used = 0;
  private readonly pq: Float64Array;
  private readonly pf: Float64Array;
  private readonly yf: Float64Array;

  constructor(private readonly m: WeightMatrix, totalRows: number, maxRows: number) {
    const { cout, k, groups } = m;
    this.step = max(1, ceil(totalRows / maxRows));
    const rows = ceil(totalRows / this.step);
    const w = m.weight.data as Float32Array;
    this.wm = new Float64Array(cout * k);
    for (let c = 0; c < cout; c++) for (let j = 0; j < k; j++) this.wm[c * k + j] = w[m.index(c, j)];
    this.problem = { cout, k, groups, rows: 0 };
    if (groups === 1 && k > 2 * rows) {
      this.problem.direct = { X: new Float64Array(rows * k), Y: new Float64Array(rows * cout) };
    } else {
      this.problem.gram = { G: Array.from({ length: groups }, () => new Float64Array(k * k)), t: new Float64Array(cout * k), yy: new Float64Array(cout) };
    }
    this.pq = new Float64Array(k);
    this.pf = new Float64Array(k);
    this.yf = new Float64Array(cout / groups);
  }

  add(xf: Tensor, xq: Tensor): void {
    const m = this.m;
    const df = xf.data as Float32Array, dq = xq.data as Float32Array;
    if (m.kind !== 'Conv') {
      const n = df.length / m.k;
      for (let r = 0; r < n; r++) {
        if (this.row++ % this.step !== 0) continue;
        for (let j = 0; j < m.k; j++) {
          this.pf[j] = df[r * m.k + j];
          this.pq[j] = dq[r * m.k + j];
        }
        this.accumulate(0);
      }
      return;
    }
    const g = convGeometry(m.node, m.weight.shape, xf.shape);
    const N = xf.shape[0], C = m.cin, cpg = C / m.groups;
    for (let n = 0; n < N; n++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          if (this.row++ % this.step !== 0) continue;
          for (let grp = 0; grp < m.groups; grp++) {
            let j = 0;
            for (let cil = 0; cil < cpg; cil++) {
              const base = (n * C + grp * cpg + cil) * g.inH;
              for (let a = 0; a < g.kh; a++) {
                const ih = oh * g.sh - g.ph + a * g.dh;
                for (let b = 0; b < g.kw; b++, j++) {
                  const iw = ow * g.sw - g.pw + b * g.dw;
                  const inside = ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW;
                  const at = (base + ih) * g.inW + iw;
                  this.pf[j] = inside ? df[at] : 0;
                  this.pq[j] = inside ? dq[at] : 0;
                }
              }
            }
            this.accumulate(grp);
          }
        }
      }
    }
  }

  /** Adds the current patch (pq, pf) of group `grp` as one row. */
  private accumulate(grp: number): void {
    const { k } = this.m;
    const cog = this.m.cout / this.m.groups;
    const { pq, pf, yf, wm } = this;
    for (let c = 0; c < cog; c++) {
      const off = (grp * cog + c) * k;
      let s = 0;
      for (let j = 0; j < k; j++) s += pf[j] * wm[off + j];
      yf[c] = s;
    }
    const p = this.problem;
    if (p.direct && this.used * k >= p.direct.X.length) return;  // more rows than shape inference said
    if (p.direct) {
      const r = this.used;
      for (let j = 0; j < k; j++) p.direct.X[r * k + j] = pq[j];
      for (let c = 0; c < cog; c++) p.direct.Y[r * this.m.cout + c] = yf[c];
    } else {
      const G = p.gram!.G[grp];
      for (let a = 0; a < k; a++) {
        const v = pq[a];
        if (v === 0) continue;
        const ra = a * k;
        for (let b = a; b < k; b++) G[ra + b] += v * pq[b];
      }
      for (let c = 0; c < cog; c++) {
        const off = (grp * cog + c) * k;
        const y = yf[c];
        for (let j = 0; j < k; j++) p.gram!.t[off + j] += pq[j] * y;
        p.gram!.yy[grp * cog + c] += y * y;
      }
    }
    if (grp === this.m.groups - 1) this.used++;
  }

  /** The finished problem (Gram matrices mirrored). */
  finish(): LayerProblem {
    const p = this.problem;
    p.rows = this.used;
    if (p.direct) {
      p.direct.X = p.direct.X.subarray(0, this.used * p.k);
      p.direct.Y = p.direct.Y.subarray(0, this.used * p.cout);
    } else {
      const k = p.k;
      for (const G of p.gram!.G) for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) G[a * k + b] = G[b * k + a];
    }
    return p;
  }
}

function roundingProblem(m: WeightMatrix, nq: NodeQuant): RoundingProblem {
  const { quant, values } = nq.weight!;
  const pc = quant.scale.length > 1;
  const w = m.weight.data as Float32Array;
  const n = m.cout * m.k;
  const r: RoundingProblem = {
    t: new Float64Array(n), nearest: new Int32Array(n), scale: new Float64Array(m.cout), zero: new Float64Array(m.cout),
    qmin: quant.qmin, qmax: quant.qmax,
  };
  for (let c = 0; c < m.cout; c++) {
    r.scale[c] = quant.scale[pc ? c : 0];
    r.zero[c] = quant.zeroPoint[pc ? c : 0];
    for (let j = 0; j < m.k; j++) {
      const i = m.index(c, j);
      r.t[c * m.k + j] = r.scale[c] > 0 ? w[i] / r.scale[c] + r.zero[c] : NaN;
      r.nearest[c * m.k + j] = values[i];
    }
  }
  return r;
}

/**
 * Learns the rounding of every integer Conv/Gemm/MatMul weight of `plan` (in place; see the file
 * comment).
 * @param model The float model the plan was made for.
 * @param batches Calibration sample in memory (the first `samples` samples are used).
 */
export async function adaRound(
  model: Model, profile: ChipProfile, plan: QuantPlan, batches: readonly Feeds[],
  options: AdaRoundOptions & { threads?: number } = {},
): Promise<AdaRoundLayer[]> {
  positive(options.iterations, 'iterations', true);
  positive(options.samples, 'samples', true);
  positive(options.timeLimitMs, 'timeLimitMs', false);
  positive(options.learningRate, 'learningRate', false);
  positive(options.maxRows, 'maxRows', true);
  if (options.regularization !== undefined && !(options.regularization >= 0)) {
    throw new RangeError(`Expected a number >= 0 for adaRound.regularization but received ${String(options.regularization)}`);
  }
  const iterations = options.iterations ?? 500;
  const deadline = Date.now() + (options.timeLimitMs ?? 30000);
  const layers = roundableLayers(model, plan);
  if (layers.length === 0 || batches.length === 0) return [];
  const total = sampleCount(batches);
  const rps = rowsPerSample(model, layers, batches[0]);
  const maxRows = options.maxRows ?? 16384;
  // Cost of one step per layer (multiply-adds of the loss and gradient, plus the per-weight update),
  // and the ms per cost unit measured on the layers done so far: the time left is shared out by it.
  const cost = new Map(layers.map(({ m }) => {
    const rows = min(maxRows, total * rps.get(m.node.name)!);
    return [m.node.name, m.cout * m.k * (min(m.k, 2 * rows) + 20) + 1e5];
  }));
  let laterCost = [...cost.values()].reduce((a, b) => a + b, 0);
  let msPerUnit = 0;
  const float = await Session.create(model, { threads: options.threads, fuse: false });
  const report: AdaRoundLayer[] = [];
  try {
    for (const { m, nq } of layers) {
      const t0 = Date.now();
      const x = m.node.inputs[0];
      const builder = new ProblemBuilder(m, total * rps.get(m.node.name)!, maxRows);
      const qm = new QuantizedModel(model, profile, plan, { threads: options.threads });
      try {
        for (const b of batches) {
          const xf = (await float.run(b, { outputs: [x] }))[x];
          const xq = await quantizedValue(qm, b, x);
          builder.add(xf, xq);
        }
      } finally {
        await qm.dispose();
      }
      const problem = builder.finish();
      const rp = roundingProblem(m, nq);
      const own = cost.get(m.node.name)!;
      laterCost -= own;
      const { q, steps } = optimizeRounding(problem, rp, {
        iterations, learningRate: options.learningRate ?? 0.01, regularization: options.regularization ?? 0.01,
        budget: (msPerStep) => {
          msPerUnit = msPerStep / own;
          const needOwn = iterations * msPerStep, needLater = iterations * laterCost * msPerUnit;
          const left = max(0, deadline - Date.now());
          if (needOwn + needLater <= left) return iterations;
          // Proportional share, but never less than an even split of the time left between the layers left.
          const share = max((left * needOwn) / (needOwn + needLater), left / (layers.length - report.length));
          return floor(share / max(msPerStep, 1e-3));
        },
        deadline,
      });
      const w = new Float64Array(q.length);
      const lossNearest = reconstruction(problem, dequantize(rp, rp.nearest, m.k, w));
      const lossLearned = reconstruction(problem, dequantize(rp, q, m.k, w));
      const keep = lossLearned < lossNearest;
      let flipped = 0;
      if (keep) {
        for (let c = 0; c < m.cout; c++) {
          for (let j = 0; j < m.k; j++) {
            const v = q[c * m.k + j];
            if (v !== rp.nearest[c * m.k + j]) flipped++;
            nq.weight!.values[m.index(c, j)] = v;
          }
        }
      }
      report.push({
        name: m.node.name, steps, rows: problem.rows, lossNearest, lossAdaRound: keep ? lossLearned : lossNearest,
        flipped: flipped / q.length, ms: Date.now() - t0,
      });
    }
  } finally {
    float.dispose();
  }
  return report;
}
