/**
 * Calibration datasets: open a directory of images, list files, or a .npy batch for a model's
 * inputs, and stream the samples as batches of tensors. Opening checks every file (existence,
 * .npy headers, .raw sizes) and fixes the sample order; data is read and images decoded only
 * while batches are produced, two batches at most at a time (the one returned and the next,
 * prefetched so decoding overlaps the caller's work).
 */
import { NpuqError } from '../errors';
import { ValueInfo } from '../ir/graph';
import { allocStorage, DType, shapeSize, Tensor, TensorStorage } from '../ir/tensor';
import { describeValue } from '../io/bytes';
import { loadImageSample } from './images';
import { describePlan, fmtShape, InputConfig, isPerInputConfig, validateInputConfigs } from './input-config';
import { loadNpySample, loadRawSample, SampleData } from './samples';
import { InputPlan, mapLimit, openSource, SampleRef, SourceSamples } from './sources';

export interface DatasetOptions {
  /**
   * Preprocessing of image inputs: one config applied to every image input, or one per input
   * name. Default: every field's default (see {@link InputConfig}).
   */
  inputConfig?: InputConfig | Record<string, InputConfig>;
  /** Shuffle the sample order with this seed (an integer in [0, 2^32 - 1]; mulberry32 + Fisher-Yates, deterministic). Default: no shuffle (files sorted by path, lists in their order). */
  shuffleSeed?: number;
  /** Use at most this many samples (the first ones, after shuffling). Default: all. */
  limit?: number;
}

export interface Dataset {
  /** Number of samples. */
  readonly size: number;
  /**
   * Streams the samples in order as batches: each batch maps input name -> Tensor whose first
   * dim is min(batchSize, remaining). At most two batches are in memory (the current one and
   * the next, being read). Errors in the data (corrupt image, NaN, ...) reject the iteration.
   */
  batches(batchSize: number): AsyncIterable<Record<string, Tensor>>;
  /** Human description for logs: "500 images from digits/png (GRAY, 20x20, NCHW float32)". */
  describe(): string;
}

/** Concurrent sample reads per input while a batch is assembled. */
const READ_CONCURRENCY = 4;

/** mulberry32: a small, fast PRNG of 32-bit state; returns numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A permutation of 0..n-1: Fisher-Yates driven by mulberry32(seed). */
export function shuffledOrder(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

class FileDataset implements Dataset {
  constructor(
    private readonly plans: readonly InputPlan[],
    private readonly dtypes: readonly DType[],
    /** refs[k][i]: sample i of input k, in dataset order. */
    private readonly refs: readonly (readonly SampleRef[])[],
    private readonly text: string,
  ) {}

  get size(): number {
    return this.refs[0].length;
  }

  describe(): string {
    return this.text;
  }

  batches(batchSize: number): AsyncIterable<Record<string, Tensor>> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`Expected a positive integer for batchSize but received ${describeValue(batchSize)}`);
    }
    return this.iterate(batchSize);
  }

  private async *iterate(batchSize: number): AsyncGenerator<Record<string, Tensor>> {
    const n = this.size;
    let next: Promise<Record<string, Tensor>> | undefined = this.loadBatch(0, Math.min(batchSize, n));
    for (let start = 0; start < n; start += batchSize) {
      const current: Promise<Record<string, Tensor>> = next!;
      const after = start + batchSize;
      next = after < n ? this.loadBatch(after, Math.min(after + batchSize, n)) : undefined;
      // Reported when awaited; unobserved if the caller stops early.
      next?.catch(() => undefined);
      yield await current;
    }
  }

  private async loadSample(k: number, ref: SampleRef): Promise<SampleData> {
    const plan = this.plans[k];
    const name = plan.info.name;
    switch (ref.kind) {
      case 'image': return loadImageSample(ref.file, plan.image!, ref.origin);
      case 'npy': return loadNpySample(ref, this.dtypes[k], name);
      case 'raw': return loadRawSample(ref, plan.sample as number[], this.dtypes[k], name);
    }
  }

  private async loadBatch(start: number, end: number): Promise<Record<string, Tensor>> {
    const batch: Record<string, Tensor> = {};
    const tensors = await Promise.all(this.plans.map(async (plan, k) => {
      const refs = this.refs[k].slice(start, end);
      const samples = await mapLimit(refs, READ_CONCURRENCY, (ref) => this.loadSample(k, ref));
      const shape = samples[0].shape;
      for (let i = 1; i < samples.length; i++) {
        const s = samples[i].shape;
        if (s.length !== shape.length || s.some((d, j) => d !== shape[j])) {
          throw new NpuqError('SHAPE_MISMATCH', `"${refs[i].file}"${refs[i].origin} has shape ${fmtShape(s)} but "${refs[0].file}" in the same batch has ${fmtShape(shape)}; input "${plan.info.name}" (${fmtShape(plan.info.shape ?? ['?'])}) leaves these dims open, so the samples of a batch must have equal shapes: use batch size 1 or make the shapes equal`, { file: refs[i].file });
        }
      }
      const size = shapeSize(shape);
      const data = allocStorage(this.dtypes[k], samples.length * size) as Exclude<TensorStorage, string[]>;
      samples.forEach((s, i) => (data as Float32Array).set(s.data as Float32Array, i * size));
      return new Tensor(this.dtypes[k], [samples.length, ...shape], data);
    }));
    this.plans.forEach((plan, k) => { batch[plan.info.name] = tensors[k]; });
    return batch;
  }
}

function checkArgs(spec: unknown, inputs: unknown, options: unknown): asserts options is DatasetOptions {
  const okPath = (s: unknown) => typeof s === 'string' && s.length > 0;
  if (!(okPath(spec) || (Array.isArray(spec) && spec.length > 0 && spec.every(okPath)))) {
    throw new TypeError(`Expected a path or a non-empty array of paths for the dataset spec but received ${describeValue(spec)}`);
  }
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((i) => typeof i === 'object' && i !== null && typeof i.name === 'string')) {
    throw new TypeError(`Expected a non-empty array of model inputs ({ name, dtype, shape }) for openDataset but received ${describeValue(inputs)}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected an options object for openDataset but received ${describeValue(options)}`);
  }
  const o = options as DatasetOptions;
  if (o.shuffleSeed !== undefined && !(Number.isInteger(o.shuffleSeed) && o.shuffleSeed >= 0 && o.shuffleSeed <= 0xffffffff)) {
    throw new RangeError(`Expected an integer in [0, 4294967295] for options.shuffleSeed but received ${describeValue(o.shuffleSeed)}`);
  }
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit >= 1)) {
    throw new RangeError(`Expected a positive integer for options.limit but received ${describeValue(o.limit)}`);
  }
}

function planInputs(inputs: readonly ValueInfo[], inputConfig: DatasetOptions['inputConfig']): InputPlan[] {
  const cfg = inputConfig === undefined ? undefined : validateInputConfigs(inputConfig, 'options.inputConfig');
  const names = inputs.map((i) => `"${i.name}"`).join(', ');
  if (cfg !== undefined && isPerInputConfig(cfg)) {
    for (const key of Object.keys(cfg)) {
      if (!inputs.some((i) => i.name === key)) {
        throw new NpuqError('INVALID_ARGUMENT', `The input config names "${key}", which is not an input of the model; its inputs are ${names}`);
      }
    }
  }
  return inputs.map((info) => {
    if (info.shape !== undefined && info.shape.length === 0) {
      throw new NpuqError('INVALID_ARGUMENT', `Input "${info.name}" is a scalar (shape []); datasets feed inputs whose first dim is the batch`);
    }
    const config = cfg === undefined ? undefined : isPerInputConfig(cfg) ? cfg[info.name] : cfg;
    return { info, sample: info.shape?.slice(1), config };
  });
}

function detail(plan: InputPlan, dtype: DType, refs: readonly SampleRef[]): string {
  const kinds = new Set(refs.map((r) => r.kind));
  const parts: string[] = [];
  if (kinds.has('image')) parts.push(describePlan(plan.image!));
  if (kinds.has('npy') || kinds.has('raw')) {
    const first = refs.find((r) => r.kind !== 'image')!;
    const shape = first.kind === 'npy' ? first.shape : (plan.sample as number[]);
    parts.push(`${[kinds.has('npy') ? '.npy' : '', kinds.has('raw') ? '.raw' : ''].filter(Boolean).join('/')} ${dtype} ${fmtShape(shape)}`);
  }
  return parts.join('; ');
}

/**
 * Opens calibration data for a model's inputs.
 *
 * spec: a directory of images (searched recursively; sorted by path; .jpg .jpeg .png .webp .tif
 * .tiff .gif .avif), a list file (.txt, .lst, .list: one image, .npy or .raw path per line, relative
 * to the list; blank lines and # comments skipped; for a model with k inputs one list may hold k
 * space-separated paths per line), several sources (one per model input, in input order, each a
 * list or .npy), or a single .npy holding a batch (first dim = samples). A .npy entry holds one
 * sample (the input shape without batch, or with a leading 1) or a batch; a .raw file holds one
 * sample of little-endian elements of the config's dtype (else the input's, else float32). .npy
 * data is converted to the input's dtype when no value changes (float64 -> float32, integers).
 *
 * The first dim of each model input is the batch dim: its size is not checked (the caller picks
 * the batch size). Symbolic dims of the other dims accept any size, concrete dims must match.
 * Errors (NpuqError):
 * FILE_NOT_FOUND (naming the path, and the list file and line for list entries); INVALID_DATA
 * (corrupt image, no samples, NaN/Inf with its index, wrong .raw size); SHAPE_MISMATCH (file,
 * input, expected and received shapes); INVALID_ARGUMENT (bad input config, naming the key; a
 * directory or .npy for a multi-input model).
 *
 * @param spec - Data source, or one per model input.
 * @param inputs - The model's graph inputs (names, dtypes, shapes with symbolic dims).
 * @param options - Input config, shuffling, limit.
 */
export async function openDataset(spec: string | string[], inputs: readonly ValueInfo[], options: DatasetOptions = {}): Promise<Dataset> {
  checkArgs(spec, inputs, options);
  const plans = planInputs(inputs, options.inputConfig);
  const specs = typeof spec === 'string' ? [spec] : spec;
  const names = plans.map((p) => `"${p.info.name}"`).join(', ');
  let sources: SourceSamples[];
  let refs: SampleRef[][];
  if (specs.length === 1) {
    sources = [await openSource(specs[0], plans)];
    refs = sources[0].refs;
  } else if (specs.length === plans.length) {
    sources = [];
    for (let k = 0; k < plans.length; k++) sources.push(await openSource(specs[k], [plans[k]]));
    refs = sources.map((s) => s.refs[0]);
    for (let k = 1; k < plans.length; k++) {
      if (refs[k].length !== refs[0].length) {
        throw new NpuqError('INVALID_DATA', `"${specs[0]}" gives ${refs[0].length} samples for input "${plans[0].info.name}" but "${specs[k]}" gives ${refs[k].length} for input "${plans[k].info.name}"; the sources of the inputs must pair up sample by sample`);
      }
    }
  } else {
    throw new NpuqError('INVALID_ARGUMENT', `Expected one data source for all inputs or one per model input (${plans.length}: ${names}) but received ${specs.length}`);
  }
  const dtypes = plans.map((p) => p.image?.dtype ?? p.config?.dtype ?? p.info.dtype ?? p.npyDType ?? 'float32');
  const total = refs[0].length;
  let order = options.shuffleSeed !== undefined ? shuffledOrder(total, options.shuffleSeed) : undefined;
  const n = Math.min(total, options.limit ?? total);
  if (order !== undefined || n < total) {
    order ??= Array.from({ length: total }, (_, i) => i);
    order = order.slice(0, n);
    refs = refs.map((r) => order!.map((i) => r[i]));
  }
  const allImages = refs.every((r) => r.every((x) => x.kind === 'image'));
  const count = `${n} ${allImages ? (n === 1 ? 'image' : 'images') : n === 1 ? 'sample' : 'samples'}${n < total ? ` (limit ${n} of ${total})` : ''}`;
  let text: string;
  if (plans.length === 1) {
    text = `${count} from ${sources[0].label} (${detail(plans[0], dtypes[0], refs[0])})`;
  } else if (sources.length === 1) {
    text = `${count} from ${sources[0].label}: ${plans.map((p, k) => `input "${p.info.name}" (${detail(p, dtypes[k], refs[k])})`).join(', ')}`;
  } else {
    text = `${count}: ${plans.map((p, k) => `input "${p.info.name}" from ${sources[k].label} (${detail(p, dtypes[k], refs[k])})`).join('; ')}`;
  }
  if (options.shuffleSeed !== undefined) text += `, shuffled with seed ${options.shuffleSeed}`;
  const ignored = sources.reduce((a, s) => a + s.ignored, 0);
  if (ignored > 0) text += `; ${ignored} non-image file${ignored === 1 ? '' : 's'} ignored`;
  return new FileDataset(plans, dtypes, refs, text);
}
