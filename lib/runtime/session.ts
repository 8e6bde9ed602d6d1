/**
 * Session: runs a float ONNX model in the native engine. Input shapes may differ from run to run
 * (symbolic batch, height, width); each distinct set of input shapes (and values of shape-giving
 * inputs) is compiled once into a native plan and cached.
 */
import * as os from 'os';
import type { NativeObserver, NativeRunOptions, NativeSession } from '../../typings/native';
import { NpuqError } from '../errors';
import type { Graph, Model, ValueInfo } from '../ir/graph';
import { Tensor, type DType, type TensorStorage } from '../ir/tensor';
import { loadModel } from '../io/onnx';
import { native } from '../native';
import { foldBatchNorm } from '../passes/fold-batchnorm';
import { foldConvAdd, fuseHardSwish } from '../passes/fuse-elementwise';
import { compilePlan, type CompiledPlan } from './lower';
import { shapeGivingInputs, unsupportedForSession } from './support';

export interface SessionOptions {
  /** Threads one run uses, the calling worker included. Default: min(available cores, 4). */
  threads?: number;
  /** Highest ISA tier ("scalar", "avx2", "neon", "neondot", "rvv"). Default: the best this CPU has (NPUQ_MAX_ISA caps it). */
  maxIsa?: string;
  /** Fold BatchNormalization into Conv/Gemm and fuse Relu/Clip into them. Default true. */
  fuse?: boolean;
  /** Compiled plans kept per session (one per distinct input shape). Default 4. */
  planCacheSize?: number;
}

export interface RunOptions {
  /** Values to return, by name (graph outputs or any intermediate value). Default: the graph outputs. */
  outputs?: string[];
  /**
   * Collects tensor statistics inside the engine during this run (lib/calibrate/observe.ts makes one).
   * Observed runs use plans compiled without fusing Relu/Clip into Conv/Gemm, so Conv/Gemm outputs are
   * values of their own (BatchNorm folding and the other graph fusions of `fuse` stay); these plans are
   * cached next to the fused ones. Default: none.
   */
  observer?: RunObserver;
}

/** Feeds a native observer during Session.run() (see RunOptions.observer). */
export interface RunObserver {
  /**
   * Called once per run, before it starts, with the compiled plan the run uses: returns the native
   * observer and the tensor id in that plan of each of its slots (-1 where the plan lacks the tensor).
   */
  bind(plan: CompiledPlan): { observer: NativeObserver; tensorIds: number[] };
}

const STORAGE_DTYPE = new Map<string, DType>([
  ['Float32Array', 'float32'], ['Float64Array', 'float64'], ['Int8Array', 'int8'], ['Uint8Array', 'uint8'],
  ['Int16Array', 'int16'], ['Uint16Array', 'uint16'], ['Int32Array', 'int32'], ['Uint32Array', 'uint32'],
  ['BigInt64Array', 'int64'], ['BigUint64Array', 'uint64'],
]);

interface CacheEntry {
  compiled: CompiledPlan;
  native?: NativeSession;
}

export class Session {
  readonly graph: Graph;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly shapeInputs: Set<string>;
  private readonly threads: number;
  private disposed = false;

  private constructor(graph: Graph, private readonly options: SessionOptions) {
    this.graph = graph;
    const t = options.threads ?? Math.min(os.availableParallelism?.() ?? os.cpus().length, 4);
    if (!Number.isInteger(t) || t < 1 || t > 256) throw new RangeError(`Expected an integer in [1, 256] for options.threads but received ${t}`);
    this.threads = t;
    this.shapeInputs = shapeGivingInputs(graph);
  }

  /**
   * Loads (if given a path) and prepares a model. Fails with NpuqError('UNSUPPORTED') listing every
   * unsupported op type and the nodes using it.
   */
  static async create(model: Model | string, options: SessionOptions = {}): Promise<Session> {
    if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object for Session.create but received ${typeof options}`);
    const m = typeof model === 'string' ? await loadModel(model) : model;
    if (!m || !m.graph) throw new TypeError('Expected a Model or a path for Session.create but received ' + typeof model);
    const unsupported = unsupportedForSession(m.graph);
    if (unsupported.length) {
      const list = unsupported.map((u) => `${u.domain ? u.domain + '.' : ''}${u.opType} (${u.nodes.slice(0, 5).join(', ')}${u.nodes.length > 5 ? ', …' : ''})`);
      throw new NpuqError('UNSUPPORTED', `the model uses operators npuquant cannot run: ${list.join('; ')}`, { file: m.path });
    }
    const graph = m.graph.clone();
    if (options.fuse ?? true) {
      foldBatchNorm(graph);
      foldConvAdd(graph);
      fuseHardSwish(graph);
    }
    native();  // fail early if the addon cannot load
    return new Session(graph, options);
  }

  get inputs(): ValueInfo[] {
    return this.graph.inputs;
  }

  get outputs(): ValueInfo[] {
    return this.graph.outputs;
  }

  /** Runs the model. Feeds are Tensors (or { data, shape }) by input name. */
  async run(feeds: Record<string, Tensor | { data: TensorStorage; shape: readonly number[] }>, opts: RunOptions = {}): Promise<Record<string, Tensor>> {
    if (this.disposed) throw new NpuqError('DISPOSED', 'the session was disposed; create a new one');
    if (typeof feeds !== 'object' || feeds === null) throw new TypeError(`Expected an object of input tensors for run() but received ${feeds === null ? 'null' : typeof feeds}`);
    const tensors = new Map<string, Tensor>();
    for (const info of this.graph.inputs) {
      const f = feeds[info.name];
      if (f === undefined) {
        throw new NpuqError('INVALID_ARGUMENT', `missing input "${info.name}"; the model's inputs are ${this.graph.inputs.map((i) => `"${i.name}"`).join(', ')}`);
      }
      const t = f instanceof Tensor ? f : toTensor(info.name, f);
      if (info.dtype && t.dtype !== info.dtype) {
        throw new NpuqError('INVALID_ARGUMENT', `Expected a ${info.dtype} tensor for input "${info.name}" but received ${t.dtype}`);
      }
      tensors.set(info.name, t);
    }
    for (const k of Object.keys(feeds)) {
      if (!tensors.has(k)) throw new NpuqError('INVALID_ARGUMENT', `"${k}" is not an input of the model; its inputs are ${this.graph.inputs.map((i) => `"${i.name}"`).join(', ')}`);
    }
    const outputs = opts.outputs ?? this.graph.outputs.map((o) => o.name);
    const entry = this.compiled(tensors, outputs, opts.observer !== undefined);
    const { compiled } = entry;
    let results: ArrayBufferView[] = [];
    if (entry.native) {
      const inputs = compiled.feeds.map((name) => {
        const d = tensors.get(name)!.data;
        return d as unknown as ArrayBufferView;
      });
      let runOptions: NativeRunOptions | undefined;
      if (opts.observer) {
        const { observer, tensorIds } = opts.observer.bind(compiled);
        runOptions = { observer, tensorIds };
      }
      try {
        results = await entry.native.run(inputs, runOptions);
      } catch (e) {
        throw wrapNative(e);
      }
    }
    const out: Record<string, Tensor> = {};
    for (const o of compiled.outputs) {
      out[o.name] = o.constant ?? new Tensor(o.dtype as DType, o.shape, results[o.index] as unknown as TensorStorage);
    }
    return out;
  }

  /** ISA tier of the engine ("avx2", "scalar", ...). */
  get isa(): string {
    return native().capabilities().isa;
  }

  /** Releases the compiled plans and their threads. */
  dispose(): void {
    this.disposed = true;
    for (const e of this.cache.values()) e.native?.dispose();
    this.cache.clear();
  }

  private compiled(tensors: Map<string, Tensor>, outputs: string[], observed = false): CacheEntry {
    const inputShapes = new Map<string, number[]>();
    const inputValues = new Map<string, Tensor>();
    const keyParts: string[] = [];
    for (const [name, t] of tensors) {
      inputShapes.set(name, t.shape.slice());
      keyParts.push(`${name}:${t.shape.join('x')}`);
      if (this.shapeInputs.has(name)) {
        inputValues.set(name, t);
        keyParts.push(`=${Array.from(t.data as ArrayLike<number | bigint>, String).join(',')}`);
      }
    }
    keyParts.push(`->${outputs.join('|')}`);
    if (observed) keyParts.push(';observed');
    const key = keyParts.join(';');
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);  // LRU order
      return hit;
    }
    const addon = native();
    const compiled = compilePlan(this.graph, {
      inputShapes, inputValues, outputs, fuse: (this.options.fuse ?? true) && !observed, engineOps: new Set(addon.capabilities().ops),
    });
    let nativeSession: NativeSession | undefined;
    if (compiled.plan.outputs.length > 0) {
      try {
        nativeSession = new addon.NativeSession(compiled.plan, { threads: this.threads, maxIsa: this.options.maxIsa });
      } catch (e) {
        throw wrapNative(e);
      }
    }
    const entry: CacheEntry = { compiled, native: nativeSession };
    this.cache.set(key, entry);
    const limit = this.options.planCacheSize ?? 4;
    while (this.cache.size > Math.max(1, limit)) {
      const [oldKey, old] = this.cache.entries().next().value as [string, CacheEntry];
      old.native?.dispose();
      this.cache.delete(oldKey);
    }
    return entry;
  }
}

function toTensor(name: string, f: { data: TensorStorage; shape: readonly number[] }): Tensor {
  if (typeof f !== 'object' || f === null || !ArrayBuffer.isView(f.data) || !Array.isArray(f.shape)) {
    throw new TypeError(`Expected a Tensor or { data: TypedArray, shape: number[] } for input "${name}" but received ${typeof f}`);
  }
  const dtype = STORAGE_DTYPE.get(f.data.constructor.name);
  if (!dtype) throw new TypeError(`Expected a numeric typed array for input "${name}" but received ${f.data.constructor.name}`);
  return new Tensor(dtype, f.shape, f.data);
}

function wrapNative(e: unknown): Error {
  if (e instanceof NpuqError) return e;
  const err = e as Error & { code?: string };
  const code = err.code === 'UNSUPPORTED' ? 'UNSUPPORTED' : err.code === 'DISPOSED' ? 'DISPOSED' : err.code === 'INVALID_ARGUMENT' ? 'INVALID_ARGUMENT'
    : err.code === 'SHAPE_MISMATCH' ? 'SHAPE_MISMATCH' : 'NATIVE';
  return new NpuqError(code, `${err.message}${code === 'NATIVE' && err.code ? ` (${err.code})` : ''}`, { cause: e });
}

export { claimedOps } from './support';
