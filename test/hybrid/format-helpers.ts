/**
 * Shared helpers of the hybrid config tests: the bundled models, and deterministic configs built
 * from a model's own names with the precisions and tensor parameters a format can carry.
 */
import * as path from 'path';
import { NpuqError } from '../../lib/errors';
import { loadModelSync } from '../../lib/io/onnx';
import type { Graph } from '../../lib/ir/graph';
import type { Precision } from '../../lib/quantize/profile';
import type { HybridConfig, TensorParams } from '../../lib/hybrid/config';
import { channelAxis, indexGraph } from '../../lib/hybrid/formats/common';

export const MODEL_NAMES = ['digits_cnn', 'digits_shufflenet', 'digits_mobilenetv2'] as const;

const cache = new Map<string, Graph>();

/** A bundled model's graph (loaded once). */
export function graphOf(name: string): Graph {
  let g = cache.get(name);
  if (!g) {
    g = loadModelSync(path.join(__dirname, '../fixtures/models', `${name}.onnx`)).graph;
    cache.set(name, g);
  }
  return g;
}

/** A seeded generator of uniform values in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Kinds of tensor parameters a config may hold. */
export type TensorKind =
  | 'uint8-asym'      // uint8, zero point in (0, 255)
  | 'int8-asym'       // int8, zero point != 0
  | 'int8-sym'        // int8, zero point 0
  | 'int16-sym'       // int16, zero point 0
  | 'int16-dfp'       // int16, zero point 0, scale a power of two
  | 'tpu-sym';        // TPU-MLIR convention: int8 threshold/127 when min < 0, uint8 threshold/255 otherwise

/** What to put in a test config. */
export interface ConfigSpec {
  /** Precisions cycled over the chosen layers. */
  precisions: readonly Precision[];
  /** Kinds cycled over activation tensors (node outputs and the graph input). Default none. */
  activationKinds?: readonly TensorKind[];
  /** Give Conv / Gemm weights per-channel symmetric int8 parameters. Default false. */
  weights?: boolean;
  /** Add comments to some layers. Default false. */
  comments?: boolean;
  /** Also give every layer's min/max to per-tensor activations. Default true. */
  ranges?: boolean;
  /** Take every `stride`-th node as a layer. Default 3. */
  stride?: number;
  seed?: number;
}

function tensorOf(kind: TensorKind, r: () => number, ranges: boolean): TensorParams {
  const lo = -(0.5 + r() * 4);
  const hi = 0.5 + r() * 6;
  const scale = 1e-3 + r() * 0.05;
  let t: TensorParams;
  switch (kind) {
    case 'uint8-asym': t = { dtype: 'uint8', scale: [scale], zeroPoint: [1 + Math.floor(r() * 253)] }; break;
    case 'int8-asym': t = { dtype: 'int8', scale: [scale], zeroPoint: [-100 + Math.floor(r() * 90)] }; break;
    case 'int8-sym': t = { dtype: 'int8', scale: [scale], zeroPoint: [0] }; break;
    case 'int16-sym': t = { dtype: 'int16', scale: [scale / 256], zeroPoint: [0] }; break;
    case 'int16-dfp': t = { dtype: 'int16', scale: [2 ** -(8 + Math.floor(r() * 6))], zeroPoint: [0] }; break;
    case 'tpu-sym': {
      const nonNeg = r() < 0.4;
      const min = nonNeg ? r() * 0.1 : lo;
      const threshold = Math.max(Math.abs(min), hi);
      return { dtype: nonNeg ? 'uint8' : 'int8', scale: [threshold / (nonNeg ? 255 : 127)], zeroPoint: [0], min, max: hi };
    }
  }
  if (ranges) {
    t.min = lo;
    t.max = hi;
  }
  return t;
}

/** A deterministic config over `graph`'s own names. */
export function makeConfig(graph: Graph, spec: ConfigSpec, target = 'test-target'): HybridConfig {
  const r = rng(spec.seed ?? 7);
  const cfg: HybridConfig = { target, layers: {} };
  const stride = spec.stride ?? 3;
  graph.nodes.forEach((n, i) => {
    if (spec.precisions.length === 0 || i % stride !== 1) return;
    cfg.layers[n.name] = spec.precisions[Math.floor(i / stride) % spec.precisions.length];
    if (spec.comments && i % (2 * stride) === 1) (cfg.comments ??= {})[n.name] = `individual cosine 0.9${i}, cumulative 0.8${i}: large error`;
  });
  const kinds = spec.activationKinds ?? [];
  const ix = indexGraph(graph);
  if (kinds.length > 0 || spec.weights) cfg.tensors = {};
  if (kinds.length > 0) {
    const acts = [...graph.inputs.map((i) => i.name), ...graph.nodes.flatMap((n) => n.outputs.filter((o) => o))];
    acts.forEach((name, i) => {
      if (i % 2 === 0) cfg.tensors![name] = tensorOf(kinds[(i / 2) % kinds.length], r, spec.ranges ?? true);
    });
  }
  if (spec.weights) {
    for (const n of graph.nodes) {
      if ((n.opType !== 'Conv' && n.opType !== 'Gemm') || !graph.initializers.has(n.inputs[1])) continue;
      const w = graph.initializers.get(n.inputs[1])!;
      const axis = channelAxis(ix, n.inputs[1]);
      const channels = w.shape[axis];
      cfg.tensors![n.inputs[1]] = {
        dtype: 'int8', axis,
        scale: Array.from({ length: channels }, () => 1e-4 + r() * 0.01),
        zeroPoint: Array.from({ length: channels }, () => 0),
      };
    }
  }
  return cfg;
}

/** Replaces one character in the middle of a name (a typo). */
export function typo(name: string): string {
  const i = Math.floor(name.length / 2);
  const c = name[i] === 'x' ? 'y' : 'x';
  return name.slice(0, i) + c + name.slice(i + 1);
}

/** The NpuqError `fn` throws (fails the test when it throws nothing or something else). */
export function thrown(fn: () => unknown): NpuqError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NpuqError);
    return e as NpuqError;
  }
  throw new Error('expected an NpuqError');
}
