/**
 * The exact surface of the native addon (native/binding). lib/native.ts loads it; nothing else in lib/
 * talks to the addon directly except lib/runtime.
 */

/** One tensor of a compiled plan. Shapes are concrete (the plan is compiled per input shape). */
export interface NativeTensorDesc {
  /** ONNX TensorProto data type code (1 float32, 7 int64, ...). */
  dtype: number;
  shape: number[];
  /** Constant data (initializers and folded values): exactly size * element size bytes. */
  data?: ArrayBufferView;
  /** Byte offset of a non-constant tensor in the run's arena (64-byte aligned). */
  offset?: number;
}

/** One engine node. Attributes are already normalized by lib/runtime/lower.ts (see there per op). */
export interface NativeNode {
  op: string;
  name: string;
  /** Tensor ids; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  attrs: Record<string, number | number[] | string>;
}

export interface NativePlan {
  tensors: NativeTensorDesc[];
  nodes: NativeNode[];
  /** Tensor ids of the feeds, in the order run() receives them. */
  inputs: number[];
  /** Tensor ids returned by run(), in order. */
  outputs: number[];
  /** Bytes of the arena holding every non-constant tensor during one run. */
  arenaBytes: number;
}

/** A NativePlan as NativeSession.create reads it (layout: native/binding/encoded-plan.h). */
export interface NativeEncodedPlan {
  /** Every number of the plan, in the documented order. */
  meta: Float64Array;
  /** Every string of the plan, UTF-8; meta holds (byte offset, byte length) pairs into it. */
  text: Uint8Array;
  /** Bytes of each constant tensor, referenced from meta by index. */
  data: ArrayBufferView[];
}

export interface NativeSessionOptions {
  /** Threads used by one run (the caller's worker thread included). */
  threads: number;
  /** Highest ISA tier to use ("scalar", "avx2", "neon", "neondot", "rvv"); default: the best available. */
  maxIsa?: string;
}

export interface NativeCapabilities {
  /** The tier kernels use by default (after NPUQ_MAX_ISA). */
  isa: string;
  /** Every tier this build and CPU support, best first. */
  isas: string[];
  /** Engine op names (as in NativeNode.op). */
  ops: string[];
  arch: string;
  napiVersion: number;
}

export interface NativeRunOptions {
  /** Collects statistics of its tensors during the run (native/engine/observer.h). */
  observer?: NativeObserver;
  /**
   * Tensor id in this plan of every observed tensor (slot), -1 where the plan lacks it. Default: the
   * observer's `tensors`. Lets one observer accumulate the same tensors over plans of several shapes.
   */
  tensorIds?: number[];
  /**
   * The inputs hold this many rows (first dimension) instead of the plan's batch b: they run in
   * chunks of b rows, one chunk per pool thread at a time, the last chunk padded by repeating its last
   * row, and the outputs come back with `rows` rows. Only for plans whose inputs and outputs all have
   * first dimension b, and only correct for models that treat items independently (the caller checks:
   * lib/runtime/batch-split.ts). Not with an observer.
   */
  rows?: number;
}

export declare class NativeSession {
  /** Validates the plan and prepacks weights. Throws an Error with `code` on an invalid plan. */
  constructor(plan: NativePlan, options: NativeSessionOptions);
  /**
   * Like the constructor, from an encoded plan (lib/runtime/encode-plan.ts): only its buffers are
   * copied on the calling thread (argument errors throw there); decoding, validation, op construction
   * and weight prepacking run on a libuv worker thread. Resolves with the session; rejects with an
   * Error with `code` (INVALID_PLAN, UNSUPPORTED, ...) on an invalid plan.
   */
  static create(plan: NativeEncodedPlan, options: NativeSessionOptions): Promise<NativeSession>;
  /**
   * Runs the plan on a worker thread. Inputs are copied before this returns. With an observer, a slot
   * that is not a float32 value computed by the plan (an input or a node output) throws an Error with
   * code INVALID_ARGUMENT naming the tensor; the statistics are merged only when the run succeeds.
   */
  run(inputs: ArrayBufferView[], options?: NativeRunOptions): Promise<ArrayBufferView[]>;
  /**
   * The same run on the calling thread (the session's pool threads still share the work), returning
   * the outputs. Blocks until done. Throws an Error with `code` like run() rejects.
   */
  runSync(inputs: ArrayBufferView[], options?: { rows?: number }): ArrayBufferView[];
  /** Releases weights and threads; later calls to run() reject with code DISPOSED. */
  dispose(): void;
  readonly isa: string;
}

export interface NativeObserverConfig {
  /** Tensor id observed by each slot (by default; see NativeRunOptions.tensorIds). */
  tensors: number[];
  /** Tensor name of each slot, used in error messages. */
  names?: string[];
  /** Histogram bins, 1 .. 2^24. Default 2048. */
  bins?: number;
  /** Collect |x| histograms. Default true. */
  histogram?: boolean;
  /** Moving-average constant c in [0, 1]: ema += c * (run value - ema) per run. Default 0 (off). */
  emaMomentum?: number;
  /** Min/max per index of axis 1 (tensors of rank >= 2). Default false. */
  perChannel?: boolean;
}

/** Statistics of one slot, accumulated over every successful run that observed it. */
export interface NativeObservedStats {
  /** config.tensors[slot]. */
  id: number;
  /** Elements seen (non-finite included). */
  count: number;
  /** NaN and +-Inf elements seen; they take part in nothing else. */
  nonFinite: number;
  /** Runs that observed the slot. */
  runs: number;
  /**
   * Of those, runs whose results were derived exactly from the observed input of the node writing the
   * tensor (Copy/Transpose: same values; Relu and Clip(x, 0, hi)) instead of scanning it.
   */
  derived: number;
  /** Over the finite values; Infinity / -Infinity while there is none. */
  min: number;
  max: number;
  /** Moving averages of the per-run min/max (first run sets them); NaN when off or unset. */
  emaMin: number;
  emaMax: number;
  /**
   * Range of the histogram: a power of two strictly above every |x| seen (0 while every finite value
   * was 0; those count in bin 0). Bin i counts |x| in [i, i + 1) * histMax / bins.
   */
  histMax: number;
  /** |x| counts per bin; undefined when histograms are off. */
  histogram: Float64Array | undefined;
  /** Per index of axis 1, when perChannel and the tensor has rank >= 2. */
  channelMin?: Float32Array;
  channelMax?: Float32Array;
}

/**
 * Statistics collected inside the engine while NativeSession.run() executes (one float pass over the
 * calibration data): counts, min/max, EMA min/max, a growing |x| histogram, per-channel min/max.
 * Several runs may feed one observer concurrently.
 */
export declare class NativeObserver {
  /** Throws TypeError / RangeError (code INVALID_ARGUMENT) on a malformed config. */
  constructor(config: NativeObserverConfig);
  /** Number of slots (config.tensors.length). */
  readonly size: number;
  /** A snapshot, one entry per slot in config order. */
  stats(): NativeObservedStats[];
  /** Forgets everything observed so far. */
  reset(): void;
}

export interface NativeAddon {
  NativeSession: typeof NativeSession;
  NativeObserver: typeof NativeObserver;
  capabilities(): NativeCapabilities;
}
