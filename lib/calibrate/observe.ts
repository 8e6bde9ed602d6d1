/**
 * Tensor statistics for calibration, collected inside the engine during one float pass over the
 * calibration batches (native/engine/observer.h): no tensor is copied to JS.
 *
 * One native observer serves every plan the session compiles (one per input shape, e.g. a smaller last
 * batch): its slots are tensor names, mapped to each plan's tensor ids at every run, so counts,
 * histograms and the moving averages run over all batches in order, whatever their shapes.
 *
 * Histograms: |x| over [0, max) in `bins` equal bins, where `max` is the smallest power of two strictly
 * above every |x| seen. A batch with a larger |x| widens the range by doubling, merging bins 2^k -> 1;
 * bin edges stay aligned and every count is kept, so the result equals the histogram of all the data
 * at the final range, computed in one go (independent of batch order and grouping). The price of the
 * power of two is up to half the bins above max|x|: with the default 2048 bins, at least 1024 cover
 * [0, max|x|].
 *
 * Cost: observed runs keep Relu/Clip apart from Conv/Gemm (both tensors get statistics). The engine
 * scans each tensor once (min/max, then the histogram, per cache-warm chunk, over the session's
 * threads); the outputs of Copy-like ops (Reshape, Flatten, Transpose, ...), Relu and Clip(0, hi) are
 * derived exactly from their observed input instead of being scanned.
 */
import type { NativeObserver } from '../../typings/native';
import { NpuqError } from '../errors';
import type { Graph } from '../ir/graph';
import type { Tensor, TensorStorage } from '../ir/tensor';
import { native } from '../native';
import type { CompiledPlan } from '../runtime/lower';
import type { RunObserver, Session } from '../runtime/session';

/** Statistics of one tensor over every calibration batch. */
export interface TensorStats {
  name: string;
  /** Elements seen (non-finite ones included). */
  count: number;
  /** Minimum over the finite values; Infinity when there was none. */
  min: number;
  /** Maximum over the finite values; -Infinity when there was none. */
  max: number;
  /**
   * Moving average of the per-batch minimum: the first batch sets it, each later one does
   * ema += emaMomentum * (batch min - ema) (onnxruntime MinMaxCalibrater moving_average, PyTorch
   * MovingAverageMinMaxObserver). NaN when emaMomentum is 0 or no batch had a finite value.
   */
  emaMin: number;
  /** Moving average of the per-batch maximum (as emaMin). */
  emaMax: number;
  /** NaN and +-Inf elements seen; they take part in no other statistic. */
  nonFinite: number;
  /**
   * |x| histogram: bin i counts |x| in [i*max/n, (i+1)*max/n) (last bin closed). Undefined when
   * histograms are off. `max` is a power of two strictly above every |x| seen, or 0 when every finite
   * value was 0 (all counted in bin 0). The counts sum to count - nonFinite.
   */
  histogram?: { counts: Float64Array; max: number };
  /** Per index of axis 1 (tensors of rank >= 2), when perChannel is on. */
  channelMin?: Float32Array;
  channelMax?: Float32Array;
}

export interface ObserveOptions {
  /** Tensors to observe; default every float32 activation (graph inputs and node outputs, not initializers). */
  tensors?: string[];
  /** Collect |x| histograms. Default true. */
  histogram?: boolean;
  /** Histogram bins, an integer in [1, 2^24]. Default 2048. */
  bins?: number;
  /** EMA constant in [0, 1] (0 turns the moving averages off). Default 0.01. */
  emaMomentum?: number;
  /** Per-channel (axis 1) min/max. Default false. */
  perChannel?: boolean;
}

export interface CollectOptions extends ObserveOptions {
  /** Called after each batch with the number of samples (dim 0 of the first input) done so far. */
  onProgress?: (done: number) => void;
}

type Feeds = Record<string, Tensor | { data: TensorStorage; shape: readonly number[] }>;

interface Settings {
  tensors?: string[];
  histogram: boolean;
  bins: number;
  emaMomentum: number;
  perChannel: boolean;
}

const MAX_BINS = 1 << 24;
const FLOAT32 = 1;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `"${v}"`;
  return typeof v;
}

function settingsOf(options: CollectOptions): Settings {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object for collectStatistics but received ${describe(options)}`);
  const { tensors, histogram = true, bins = 2048, emaMomentum = 0.01, perChannel = false, onProgress } = options;
  if (tensors !== undefined && (!Array.isArray(tensors) || tensors.some((t) => typeof t !== 'string'))) {
    throw new TypeError(`Expected an array of tensor names for options.tensors but received ${describe(tensors)}`);
  }
  if (typeof histogram !== 'boolean') throw new TypeError(`Expected a boolean for options.histogram but received ${describe(histogram)}`);
  if (typeof perChannel !== 'boolean') throw new TypeError(`Expected a boolean for options.perChannel but received ${describe(perChannel)}`);
  if (typeof bins !== 'number') throw new TypeError(`Expected a number for options.bins but received ${describe(bins)}`);
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BINS) throw new RangeError(`Expected an integer in [1, ${MAX_BINS}] for options.bins but received ${bins}`);
  if (typeof emaMomentum !== 'number') throw new TypeError(`Expected a number for options.emaMomentum but received ${describe(emaMomentum)}`);
  if (!(emaMomentum >= 0 && emaMomentum <= 1)) throw new RangeError(`Expected a number in [0, 1] for options.emaMomentum but received ${emaMomentum}`);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError(`Expected a function for options.onProgress but received ${describe(onProgress)}`);
  return { tensors: tensors ? [...new Set(tensors)] : undefined, histogram, bins, emaMomentum, perChannel };
}

/** Tensor id of `name` in `plan` when it is a float32 value computed by a run, else -1. */
function runtimeId(plan: CompiledPlan, name: string): number {
  const id = plan.tensorIds.get(name);
  if (id === undefined) return -1;
  const t = plan.plan.tensors[id];
  return t.data === undefined && t.dtype === FLOAT32 ? id : -1;
}

/** Graph inputs, then node outputs in node order. */
function activationNames(graph: Graph): string[] {
  const names = graph.inputs.map((i) => i.name);
  for (const n of graph.nodes) for (const o of n.outputs) if (o) names.push(o);
  return names;
}

/** Why `name` cannot be observed in `plan` (it is not a runtime float32 value there). */
function refusal(graph: Graph, plan: CompiledPlan, name: string): NpuqError {
  const id = plan.tensorIds.get(name);
  let why: string;
  if (id !== undefined && plan.plan.tensors[id].data === undefined) {
    const code = plan.plan.tensors[id].dtype;
    why = `is not float32 (ONNX data type ${code}); only float32 tensors can be observed`;
  } else if (graph.initializers.has(name)) {
    why = 'is an initializer (a constant); only activations can be observed';
  } else if (id !== undefined) {
    why = 'is a constant for these input shapes (computed at compile time), not a value of a run';
  } else if (activationNames(graph).includes(name)) {
    why = 'is not computed when the model runs (folded away, fused into another node, or not needed for the outputs)';
  } else {
    why = 'is not a value of the model';
  }
  return new NpuqError('INVALID_ARGUMENT', `cannot observe "${name}": it ${why}`);
}

/** The RunObserver given to Session.run: one native observer, slots mapped per compiled plan. */
class StatsObserver implements RunObserver {
  names: string[] = [];
  observer?: NativeObserver;
  private readonly ids = new WeakMap<CompiledPlan, number[]>();

  constructor(private readonly graph: Graph, private readonly settings: Settings) {}

  bind(plan: CompiledPlan): { observer: NativeObserver; tensorIds: number[] } {
    if (!this.observer) {
      // The tensor set is fixed by the first plan; later plans map the same names.
      if (this.settings.tensors) {
        for (const name of this.settings.tensors) if (runtimeId(plan, name) < 0) throw refusal(this.graph, plan, name);
        this.names = this.settings.tensors;
      } else {
        this.names = activationNames(this.graph).filter((n) => runtimeId(plan, n) >= 0);
      }
      const { histogram, bins, emaMomentum, perChannel } = this.settings;
      this.observer = new (native().NativeObserver)({
        tensors: this.names.map((n) => runtimeId(plan, n)), names: this.names, histogram, bins, emaMomentum, perChannel,
      });
    }
    let tensorIds = this.ids.get(plan);
    if (!tensorIds) {
      tensorIds = this.names.map((n) => runtimeId(plan, n));
      this.ids.set(plan, tensorIds);
    }
    return { observer: this.observer, tensorIds };
  }

  results(): Map<string, TensorStats> {
    const out = new Map<string, TensorStats>();
    const all = this.observer ? this.observer.stats() : [];
    all.forEach((s, i) => {
      const name = this.names[i];
      const st: TensorStats = {
        name, count: s.count, min: s.min, max: s.max, emaMin: s.emaMin, emaMax: s.emaMax, nonFinite: s.nonFinite,
      };
      if (s.histogram) st.histogram = { counts: s.histogram, max: s.histMax };
      if (s.channelMin && s.channelMax) {
        st.channelMin = s.channelMin;
        st.channelMax = s.channelMax;
      }
      out.set(name, st);
    });
    return out;
  }
}

function batchSize(session: Session, feeds: Feeds): number {
  const first = session.inputs[0]?.name;
  const t = first !== undefined ? feeds[first] : undefined;
  return t && Array.isArray(t.shape) && t.shape.length > 0 ? Number(t.shape[0]) : 1;
}

/**
 * Runs the float model over batches and returns stats per tensor name. Batches are feeds as
 * Session.run takes. onProgress(samplesDone) optional.
 *
 * Runs one batch at a time (each run already uses the session's threads). Plans of observed runs keep
 * Relu/Clip apart from Conv/Gemm, so both the Conv/Gemm output and the activation output have
 * statistics. Throws NpuqError INVALID_ARGUMENT for a requested tensor that is not a float32 value
 * computed by the model, INVALID_DATA when `batches` yields nothing; errors of a run propagate.
 */
export async function collectStatistics(
  session: Session,
  batches: AsyncIterable<Feeds> | Iterable<Feeds>,
  options: CollectOptions = {},
): Promise<Map<string, TensorStats>> {
  const settings = settingsOf(options);
  const iterable = batches as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null;
  if (typeof iterable !== 'object' || iterable === null || (typeof iterable[Symbol.asyncIterator] !== 'function' && typeof iterable[Symbol.iterator] !== 'function')) {
    throw new TypeError(`Expected an iterable or async iterable of feeds for batches but received ${describe(batches)}`);
  }
  const observer = new StatsObserver(session.graph, settings);
  let done = 0;
  let runs = 0;
  for await (const feeds of batches) {
    await session.run(feeds, { observer });
    runs++;
    done += batchSize(session, feeds);
    options.onProgress?.(done);
  }
  if (runs === 0) throw new NpuqError('INVALID_DATA', 'collectStatistics received no batches; give it at least one batch of calibration data');
  return observer.results();
}
