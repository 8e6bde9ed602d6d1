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

export declare class NativeSession {
  /** Validates the plan and prepacks weights. Throws an Error with `code` on an invalid plan. */
  constructor(plan: NativePlan, options: NativeSessionOptions);
  /** Runs the plan on a worker thread. Inputs are copied before this returns. */
  run(inputs: ArrayBufferView[]): Promise<ArrayBufferView[]>;
  /** Releases weights and threads; later calls to run() reject with code DISPOSED. */
  dispose(): void;
  readonly isa: string;
}

export interface NativeAddon {
  NativeSession: typeof NativeSession;
  capabilities(): NativeCapabilities;
}
