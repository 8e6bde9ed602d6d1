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
import { fuseHardSwish } from '../passes/fuse-elementwise';
import { foldConvAddSteps } from '../passes/fold-conv-affine';
import { nextTurn, runSteps, runStepsSliced } from '../ir/steps';
import { encodePlanSteps } from './encode-plan';
import { compilePlan, compilePlanSteps, type CompiledPlan } from './lower';
import { shapeGivingInputs, unsupportedForSession } from './support';
import { candidateSplit, checkSplitSteps, type RowSplit, type RowSplitDecision } from './batch-split';

export interface SessionOptions {
  /** Threads one run uses, the calling worker included. Default: min(available cores, 4). */
  threads?: number;
  /** Highest ISA tier ("scalar", "avx2", "neon", "neondot", "rvv"). Default: the best this CPU has (NPUQ_MAX_ISA caps it). */
  maxIsa?: string;
  /** Fold BatchNormalization into Conv/Gemm and fuse Relu/Clip into them. Default true. */
  fuse?: boolean;
  /** Compiled plans kept per session (one per distinct input shape). Default 4. */
  planCacheSize?: number;
  /**
   * Run a batch of several items as one chunk of rows per thread, side by side, when the model treats
   * items independently (lib/runtime/batch-split.ts decides, per input shape). Same output bytes as one
   * run over the whole batch; faster where ops are too small to share between threads. Runs with an
   * observer never split. Default true.
   */
  splitBatch?: boolean;
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

/** The plan cache key of a run and the shapes and shape-giving values it stands for. */
interface PlanKey {
  key: string;
  inputShapes: Map<string, number[]>;
  inputValues: Map<string, Tensor>;
}

/** A plan being compiled (`ready` unset) or compiled. */
interface CacheSlot {
  promise: Promise<CacheEntry>;
  ready?: CacheEntry;
  /** Runs that took this slot and have not started their native run yet: it is not evicted meanwhile. */
  pins: number;
}

/** Engine threads when none are asked for: the cores, at most 4. */
export function defaultThreads(): number {
  return Math.min(os.availableParallelism?.() ?? os.cpus().length, 4);
}

export class Session {
  readonly graph: Graph;
  private readonly cache = new Map<string, CacheSlot>();
  /** Batch-split decisions by plan key of the whole batch (pending while their shapes are inferred). */
  private readonly splits = new Map<string, RowSplitDecision | Promise<RowSplitDecision>>();
  private readonly shapeInputs: Set<string>;
  private readonly threads: number;
  private disposed = false;

  private constructor(graph: Graph, private readonly options: SessionOptions) {
    this.graph = graph;
    const t = options.threads ?? defaultThreads();
    if (!Number.isInteger(t) || t < 1 || t > 256) throw new RangeError(`Expected an integer in [1, 256] for options.threads but received ${t}`);
    this.threads = t;
    this.shapeInputs = shapeGivingInputs(graph);
  }

  /**
   * Loads (if given a path) and prepares a model. Fails with NpuqError('UNSUPPORTED') listing every
   * unsupported op type and the nodes using it. The graph passes run on the calling thread, one at a
   * time with a turn of the event loop between them (folding into Conv weights in time slices, a fold
   * per step); plans are compiled by run().
   */
  static async create(model: Model | string, options: SessionOptions = {}): Promise<Session> {
    if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object for Session.create but received ${typeof options}`);
    const m = typeof model === 'string' ? await loadModel(model) : model;
    if (!m || !m.graph) throw new TypeError('Expected a Model or a path for Session.create but received ' + typeof model);
    await nextTurn();
    const unsupported = unsupportedForSession(m.graph);
    if (unsupported.length) {
      const list = unsupported.map((u) => `${u.domain ? u.domain + '.' : ''}${u.opType} (${u.nodes.slice(0, 5).join(', ')}${u.nodes.length > 5 ? ', …' : ''})`);
      throw new NpuqError('UNSUPPORTED', `the model uses operators npuquant cannot run: ${list.join('; ')}`, { file: m.path });
    }
    await nextTurn();
    const graph = m.graph.clone();
    if (options.fuse ?? true) {
      await nextTurn();
      foldBatchNorm(graph);
      await runStepsSliced(foldConvAddSteps(graph));  // a step per fold: det folds ~60 weight tensors
      await nextTurn();
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

  /**
   * Runs the model. Feeds are Tensors (or { data, shape }) by input name. The first run with new input
   * shapes compiles a plan: in time slices on the calling thread (shape inference, lowering, memory
   * plan), then on a libuv worker (op construction, weight prepacking); runs of the same shapes that
   * start meanwhile wait for that plan.
   */
  async run(feeds: Record<string, Tensor | { data: TensorStorage; shape: readonly number[] }>, opts: RunOptions = {}): Promise<Record<string, Tensor>> {
    if (this.disposed) throw new NpuqError('DISPOSED', 'the session was disposed; create a new one');
    if (typeof feeds !== 'object' || feeds === null) throw new TypeError(`Expected an object of input tensors for run() but received ${feeds === null ? 'null' : typeof feeds}`);
    const tensors = this.feedTensors(feeds);
    const outputs = opts.outputs ?? this.graph.outputs.map((o) => o.name);
    const observed = opts.observer !== undefined;
    const whole = this.planKey(tensors, outputs, observed);
    let split: RowSplit | undefined;
    if (!observed) {
      const d = this.rowSplit(whole, outputs, false);
      split = (d instanceof Promise ? await d : d).split;
      if (this.disposed) throw new NpuqError('DISPOSED', 'the session was disposed; create a new one');
    }
    const slot = this.acquire(split ? this.planKey(tensors, outputs, false, split.chunk) : whole, outputs, observed);
    let entry: CacheEntry;
    let running: Promise<ArrayBufferView[]> | undefined;
    try {
      entry = slot.ready ?? await slot.promise;
      if (this.disposed) throw new NpuqError('DISPOSED', 'the session was disposed; create a new one');
      if (entry.native) {
        const inputs = entry.compiled.feeds.map((name) => tensors.get(name)!.data as unknown as ArrayBufferView);
        let runOptions: NativeRunOptions | undefined;
        if (opts.observer) {
          const { observer, tensorIds } = opts.observer.bind(entry.compiled);
          runOptions = { observer, tensorIds };
        }
        try {
          if (split) runOptions = { rows: split.rows };
          running = entry.native.run(inputs, runOptions);  // the native run holds the plan from here on
        } catch (e) {
          throw wrapNative(e);
        }
      }
    } finally {
      slot.pins--;
      this.trimCache();
    }
    const { compiled } = entry;
    let results: ArrayBufferView[] = [];
    if (running) {
      try {
        results = await running;
      } catch (e) {
        throw wrapNative(e);
      }
    }
    return outputTensors(compiled, results, split?.rows);
  }

  /**
   * Runs the model on the calling thread and returns its outputs: for worker threads, command-line
   * tools and benchmarks, where blocking is fine. run() hands each run to a libuv worker and back,
   * which keeps the event loop free but costs a thread hop each way (about 45 us on the benchmark
   * machine: as much as a whole batch-1 run of the digits models); runSync() does not. Same results
   * as run(). A plan for new input shapes is compiled on the calling thread too. No observer; a plan
   * for these shapes still being compiled by a run() in flight is an INVALID_ARGUMENT error.
   */
  runSync(feeds: Record<string, Tensor | { data: TensorStorage; shape: readonly number[] }>, opts: { outputs?: string[] } = {}): Record<string, Tensor> {
    if (this.disposed) throw new NpuqError('DISPOSED', 'the session was disposed; create a new one');
    if (typeof feeds !== 'object' || feeds === null) throw new TypeError(`Expected an object of input tensors for runSync() but received ${feeds === null ? 'null' : typeof feeds}`);
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`Expected an options object for runSync() but received ${opts === null ? 'null' : typeof opts}`);
    const tensors = this.feedTensors(feeds);
    const outputs = opts.outputs ?? this.graph.outputs.map((o) => o.name);
    const whole = this.planKey(tensors, outputs, false);
    const split = (this.rowSplit(whole, outputs, true) as RowSplitDecision).split;
    const { key, inputShapes, inputValues } = split ? this.planKey(tensors, outputs, false, split.chunk) : whole;
    let slot = this.cache.get(key);
    if (slot && !slot.ready) {
      throw new NpuqError('INVALID_ARGUMENT', 'a plan for these input shapes is still being compiled by a run() in flight; await that run before calling runSync()');
    }
    if (!slot) {
      const entry = this.buildSync({ inputShapes, inputValues, outputs });
      slot = { pins: 0, ready: entry, promise: Promise.resolve(entry) };
      this.cache.set(key, slot);
    } else {
      this.touch(key, slot);
    }
    const entry = slot.ready!;
    let results: ArrayBufferView[] = [];
    if (entry.native) {
      const inputs = entry.compiled.feeds.map((name) => tensors.get(name)!.data as unknown as ArrayBufferView);
      try {
        results = split ? entry.native.runSync(inputs, { rows: split.rows }) : entry.native.runSync(inputs);
      } catch (e) {
        throw wrapNative(e);
      } finally {
        this.trimCache();
      }
    }
    return outputTensors(entry.compiled, results, split?.rows);
  }

  /**
   * How run() and runSync() execute these feeds: `{ split: { rows, chunk } }` when the batch runs as
   * chunks of `chunk` rows side by side (SessionOptions.splitBatch), else `{ reason }` saying why the
   * batch runs whole (splitting is off, one thread, a batch too small to cut, or the graph mixes
   * items: then the first op that does, and how). Infers shapes on the calling thread the first time
   * for these shapes.
   */
  batchSplit(feeds: Record<string, Tensor | { data: TensorStorage; shape: readonly number[] }>, opts: { outputs?: string[] } = {}): RowSplitDecision {
    if (this.disposed) throw new NpuqError('DISPOSED', 'the session was disposed; create a new one');
    if (typeof feeds !== 'object' || feeds === null) throw new TypeError(`Expected an object of input tensors for batchSplit() but received ${feeds === null ? 'null' : typeof feeds}`);
    const outputs = opts.outputs ?? this.graph.outputs.map((o) => o.name);
    return this.rowSplit(this.planKey(this.feedTensors(feeds), outputs, false), outputs, true) as RowSplitDecision;
  }

  /** ISA tier of the engine ("avx2", "scalar", ...). */
  get isa(): string {
    return native().capabilities().isa;
  }

  /**
   * Releases the compiled plans and their threads. Runs in flight finish; runs still waiting for a
   * plan reject with DISPOSED, and a plan still compiling is released when it is built.
   */
  dispose(): void {
    this.disposed = true;
    for (const slot of this.cache.values()) slot.ready?.native?.dispose();
    this.cache.clear();
  }

  /** The cache slot of the plan with this key (compiling it if new), pinned: the caller unpins it. */
  private acquire({ key, inputShapes, inputValues }: PlanKey, outputs: string[], observed: boolean): CacheSlot {
    const hit = this.cache.get(key);

    if (hit) {
      this.touch(key, hit);
      hit.pins++;
      return hit;
    }
    const slot: CacheSlot = {
      pins: 1,
      promise: this.build({ inputShapes, inputValues, outputs, observed }).then(
        (entry) => {
          if (this.cache.get(key) !== slot) {
            // Disposed (or this very slot evicted) while it was built: nothing else will free it.
            entry.native?.dispose();
            throw new NpuqError('DISPOSED', 'the session was disposed; create a new one');
          }
          slot.ready = entry;
          this.trimCache();
          return entry;
        },
        (e: unknown) => {
          if (this.cache.get(key) === slot) this.cache.delete(key);  // failures are not cached
          throw e;
        },
      ),
    };
    this.cache.set(key, slot);
    return slot;
  }

  /** Moves a cache slot to the most recently used end (the cache is a Map in LRU order). */
  private touch(key: string, slot: CacheSlot): void {
    this.cache.delete(key);
    this.cache.set(key, slot);
  }

  /** The feeds as Tensors by input name, every model input present and no other name. */
  private feedTensors(feeds: Record<string, Tensor | { data: TensorStorage; shape: readonly number[] }>): Map<string, Tensor> {
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
    return tensors;
  }

  /**
   * Whether these feeds run as chunks of rows (see SessionOptions.splitBatch): decided once per plan
   * key, from two shape inferences; `sync` infers on this thread, otherwise in time slices (a promise
   * until decided; runs of the same shapes meanwhile share it).
   */
  private rowSplit({ key, inputShapes }: PlanKey, outputs: string[], sync: boolean): RowSplitDecision | Promise<RowSplitDecision> {
    if (this.options.splitBatch === false) return { reason: 'splitBatch is false' };
    if (this.threads < 2) return { reason: 'the session has one thread' };
    if (this.shapeInputs.size > 0) return { reason: 'the model has inputs that give shapes' };
    const known = this.splits.get(key);
    if (known !== undefined && (!sync || !(known instanceof Promise))) return known;
    const candidate = candidateSplit(inputShapes, this.threads);
    if (!candidate.split) return candidate;  // no graph check needed: decided here and now
    const steps = checkSplitSteps(this.graph, inputShapes, candidate.split, outputs);
    const decided = (d: RowSplitDecision) => {
      if (this.splits.size >= 64) this.splits.delete(this.splits.keys().next().value!);  // oldest first
      this.splits.set(key, d);
      return d;
    };
    if (sync) return decided(runSteps(steps));
    const pending = runStepsSliced(steps).then(decided, (e: unknown) => {
      this.splits.delete(key);
      throw e;
    });
    this.splits.set(key, pending);
    return pending;
  }

  /**
   * The plan cache key of these feeds (shapes, values of shape-giving inputs, outputs, observed);
   * with `chunk`, of their plan for chunks of that many rows.
   */
  private planKey(tensors: Map<string, Tensor>, outputs: string[], observed: boolean, chunk?: number): PlanKey {
    const inputShapes = new Map<string, number[]>();
    const inputValues = new Map<string, Tensor>();
    const keyParts: string[] = [];
    for (const [name, t] of tensors) {
      const shape = chunk === undefined ? t.shape.slice() : [chunk, ...t.shape.slice(1)];
      inputShapes.set(name, shape);
      keyParts.push(`${name}:${shape.join('x')}`);
      if (this.shapeInputs.has(name)) {
        inputValues.set(name, t);
        keyParts.push(`=${Array.from(t.data as ArrayLike<number | bigint>, String).join(',')}`);
      }
    }
    keyParts.push(`->${outputs.join('|')}`);
    if (observed) keyParts.push(';observed');
    return { key: keyParts.join(';'), inputShapes, inputValues };
  }

  /** Compiles one plan on the calling thread (runSync). */
  private buildSync(o: { inputShapes: Map<string, number[]>; inputValues: Map<string, Tensor>; outputs: string[] }): CacheEntry {
    const addon = native();
    const compiled = compilePlan(this.graph, {
      inputShapes: o.inputShapes, inputValues: o.inputValues, outputs: o.outputs,
      fuse: this.options.fuse ?? true, engineOps: new Set(addon.capabilities().ops),
    });
    let nativeSession: NativeSession | undefined;
    if (compiled.plan.outputs.length > 0) {
      try {
        nativeSession = new addon.NativeSession(compiled.plan, { threads: this.threads, maxIsa: this.options.maxIsa });
      } catch (e) {
        throw wrapNative(e);
      }
    }
    return { compiled, native: nativeSession };
  }

  /** Compiles one plan: TypeScript steps in time slices, then the native build on a libuv worker. */
  private async build(o: { inputShapes: Map<string, number[]>; inputValues: Map<string, Tensor>; outputs: string[]; observed: boolean }): Promise<CacheEntry> {
    const addon = native();
    const compiled = await runStepsSliced(compilePlanSteps(this.graph, {
      inputShapes: o.inputShapes, inputValues: o.inputValues, outputs: o.outputs,
      fuse: (this.options.fuse ?? true) && !o.observed, engineOps: new Set(addon.capabilities().ops),
    }));
    let nativeSession: NativeSession | undefined;
    if (compiled.plan.outputs.length > 0 && !this.disposed) {
      try {
        const options = { threads: this.threads, maxIsa: this.options.maxIsa };
        if (typeof (addon.NativeSession as { create?: unknown }).create === 'function') {
          nativeSession = await addon.NativeSession.create(await runStepsSliced(encodePlanSteps(compiled.plan)), options);
        } else {
          // A binary built before NativeSession.create (a stale local build): built on this thread.
          nativeSession = new addon.NativeSession(compiled.plan, options);
        }
      } catch (e) {
        throw wrapNative(e);
      }
    }
    return { compiled, native: nativeSession };
  }

  /**
   * Evicts the least recently used built plans beyond planCacheSize; plans still building and plans a
   * run is about to start on stay (until a later trim).
   */
  private trimCache(): void {
    const limit = Math.max(1, this.options.planCacheSize ?? 4);
    for (const [key, slot] of this.cache) {
      if (this.cache.size <= limit) break;
      if (!slot.ready || slot.pins > 0) continue;
      slot.ready.native?.dispose();
      this.cache.delete(key);
    }
  }
}

/**
 * Output tensors by name: constants as compiled, the rest over the engine's result buffers; `rows`:
 * a plan of chunks ran that many rows (the first dimension of every output).
 */
function outputTensors(compiled: CompiledPlan, results: ArrayBufferView[], rows?: number): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const o of compiled.outputs) {
    const shape = rows === undefined ? o.shape : [rows, ...o.shape.slice(1)];
    out[o.name] = o.constant ?? new Tensor(o.dtype as DType, shape, results[o.index] as unknown as TensorStorage);
  }
  return out;
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
