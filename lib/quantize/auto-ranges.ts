/**
 * Calibration method `auto` in quantize(): TPU-MLIR-style threshold tuning against the model output.
 *
 * Every tensor calibrated with `auto` starts at its KL range. Then, one tensor at a time in graph
 * order (earlier tensors keep their tuned range, later ones their KL range), autoTuneThreshold tries
 * `autoSteps + 1` thresholds from the KL threshold to |x|max; each candidate is scored by planning
 * and running the emulated quantized model on the first `autoSamples` calibration samples and
 * measuring the error of the graph outputs against the float model:
 * `sum over outputs of sum((q - f)^2) / sum(f^2)` (relative squared error, so outputs of different
 * scales weigh the same). TPU-MLIR scores the distance at each layer's output instead; the output of
 * the whole model is what the user sees, and the emulation is bit-exact, so chip rounding is included.
 *
 * Only tensors whose range the plan uses are tuned: tensors that share their input's parameters
 * (Reshape, MaxPool, ...) and outputs of Conv/Gemm fused with their activation are skipped, and a
 * tensor whose KL threshold already is |x|max has a single candidate. Cost: about `autoSteps + 1`
 * plans and runs on `autoSamples` samples per tuned tensor.
 */
import type { DatasetOptions } from '../data/dataset';
import { openFeeds, type DataSource } from '../data/feeds';
import { autoTuneThreshold } from '../calibrate/autotune';
import { calibrateRanges, calibrateThreshold, rangeFromThreshold, type CalibrationMethod, type MethodOptions } from '../calibrate/methods';
import type { TensorStats } from '../calibrate/observe';
import { NpuqError } from '../errors';
import type { Model } from '../ir/graph';
import type { Tensor } from '../ir/tensor';
import { Session } from '../runtime/session';
import type { FloatRange } from './params';
import type { QuantOverrides, QuantPlan } from './plan/types';
import type { ChipProfile } from './profile';
import { QuantizedModel } from './quantized-model';

type Feeds = Record<string, Tensor>;

/** Options of method `auto` in quantize(). */
export interface AutoRangeOptions {
  /**
   * Method `auto`: equal intervals between a tensor's KL threshold and its |x|max; `autoSteps + 1`
   * candidates per tensor. An integer >= 1. Default 20 (TPU-MLIR).
   */
  autoSteps?: number;
  /**
   * Method `auto`: number of calibration samples (the first ones) each candidate is scored on. An
   * integer >= 1. Default 16.
   */
  autoSamples?: number;
}

/** What {@link calibrateModelRanges} needs besides the statistics. */
export interface ModelRangeOptions extends MethodOptions, AutoRangeOptions, DatasetOptions {
  /** Method per tensor name, overriding `method`. */
  perTensor?: Record<string, CalibrationMethod>;
  /** The calibration data as quantize() takes it (read again, up to `autoSamples`, for `auto`). */
  data?: unknown;
  /** Engine threads. */
  threads?: number;
  /** The plan quantize() makes from a set of ranges (the same call as for the final plan). */
  plan: (ranges: Map<string, FloatRange>) => QuantPlan;
  /** Fixed ranges of the hybrid overrides: those tensors are not tuned. */
  overrides?: QuantOverrides;
  /** The model the plan is for (optimized). */
  model: Model;
  profile: ChipProfile;
}

function positiveInteger(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new RangeError(`Expected an integer >= 1 for options.${name} but received ${String(v)}`);
  return v;
}

/**
 * Ranges of every tensor for quantize(): {@link calibrateRanges} for every method but `auto`, then the
 * `auto` tensors tuned against the model output (see the file comment).
 * @throws NpuqError INVALID_DATA when `auto` cannot read evaluation samples from `data`, and the errors
 *   of calibrateRanges, planning and running.
 */
export async function calibrateModelRanges(stats: Map<string, TensorStats>, method: CalibrationMethod, opts: ModelRangeOptions): Promise<Map<string, FloatRange>> {
  const perTensor = opts.perTensor ?? {};
  const methodOf = (name: string): CalibrationMethod => (Object.prototype.hasOwnProperty.call(perTensor, name) ? perTensor[name] : method);
  const autoNames = [...stats.keys()].filter((n) => methodOf(n) === 'auto');
  if (autoNames.length === 0) return calibrateRanges(stats, method, opts);
  const steps = positiveInteger(opts.autoSteps, 'autoSteps', 20);
  const samples = positiveInteger(opts.autoSamples, 'autoSamples', 16);
  // Start: KL where `auto` was asked for.
  const klPerTensor: Record<string, CalibrationMethod> = {};
  for (const [k, v] of Object.entries(perTensor)) klPerTensor[k] = v === 'auto' ? 'kl' : v;
  const ranges = calibrateRanges(stats, method === 'auto' ? 'kl' : method, { ...opts, perTensor: klPerTensor });

  // Tensors whose own range the plan uses: the first name of each distinct parameter set (the planner
  // gives a tensor its home parameters before any tensor shares them).
  const first = new Map<unknown, string>();
  for (const [name, q] of opts.plan(ranges).tensors) if (!first.has(q)) first.set(q, name);
  const homes = new Set(first.values());
  const overridden = new Set(Object.keys(opts.overrides?.ranges ?? {}));
  const order = new Map<string, number>();
  for (const i of opts.model.graph.inputs) order.set(i.name, order.size);
  for (const n of opts.model.graph.nodes) for (const o of n.outputs) if (o) order.set(o, order.size);
  // A tensor whose KL threshold is its |x|max has one candidate: nothing to score.
  const tunable = (n: string) => {
    const s = stats.get(n)!;
    return calibrateThreshold(s, 'kl', opts) < Math.max(Math.abs(s.min), Math.abs(s.max));
  };
  const tuned = autoNames.filter((n) => homes.has(n) && !overridden.has(n) && tunable(n)).sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  if (tuned.length === 0) return ranges;

  const batches = await evaluationBatches(opts.data, opts.model, opts, samples);
  const evaluator = new OutputError(opts.model, opts.profile, batches, opts.threads);
  for (const name of tuned) {
    const s = stats.get(name)!;
    const t = await autoTuneThreshold(s, {
      ...opts, steps,
      evaluate: (threshold) => {
        const trial = new Map(ranges);
        trial.set(name, rangeFromThreshold(s, threshold));
        return evaluator.error(opts.plan(trial));
      },
    });
    ranges.set(name, rangeFromThreshold(s, t));
  }
  return ranges;
}

/** The first batches of the calibration data, until they hold `samples` samples (a batch is not split). */
async function evaluationBatches(data: unknown, model: Model, options: DatasetOptions, samples: number): Promise<Feeds[]> {
  const { batches } = await openFeeds(data as DataSource, model.graph.inputs, options, samples);
  const out: Feeds[] = [];
  const first = model.graph.inputs[0]?.name;
  let n = 0;
  for await (const b of batches) {
    out.push(b);
    const t = first !== undefined ? b[first] : undefined;
    n += t && t.shape.length > 0 ? Number(t.shape[0]) : 1;
    if (n >= samples) break;
  }
  if (out.length === 0) {
    throw new NpuqError('INVALID_DATA',
      "method 'auto' reads the calibration data a second time to score its candidates, but options.data gave no batch " +
      'the second time (a one-shot iterator or generator): pass a path, a Dataset or an array of feed batches');
  }
  return out;
}

/** Relative squared error of a plan's graph outputs against the float model on fixed batches. */
class OutputError {
  private reference?: Record<string, Tensor>[];

  constructor(private readonly model: Model, private readonly profile: ChipProfile, private readonly batches: Feeds[], private readonly threads?: number) {}

  private async floatOutputs(): Promise<Record<string, Tensor>[]> {
    if (!this.reference) {
      const session = await Session.create(this.model, { threads: this.threads, fuse: false });
      try {
        const ref: Record<string, Tensor>[] = [];
        for (const b of this.batches) ref.push(await session.run(b));
        this.reference = ref;
      } finally {
        session.dispose();
      }
    }
    return this.reference;
  }

  async error(plan: QuantPlan): Promise<number> {
    const reference = await this.floatOutputs();
    const qm = new QuantizedModel(this.model, this.profile, plan, { threads: this.threads });
    try {
      const num = new Map<string, number>();
      const den = new Map<string, number>();
      for (let k = 0; k < this.batches.length; k++) {
        const q = await qm.run(this.batches[k]);
        for (const [name, f] of Object.entries(reference[k])) {
          const a = f.data as Float32Array;
          const b = q[name].data as Float32Array;
          let e = 0;
          let s = 0;
          for (let i = 0; i < a.length; i++) {
            const d = b[i] - a[i];
            e += d * d;
            s += a[i] * a[i];
          }
          num.set(name, (num.get(name) ?? 0) + e);
          den.set(name, (den.get(name) ?? 0) + s);
        }
      }
      let total = 0;
      for (const [name, e] of num) total += e / Math.max(den.get(name)!, Number.MIN_VALUE);
      return total;
    } finally {
      await qm.dispose();
    }
  }
}
