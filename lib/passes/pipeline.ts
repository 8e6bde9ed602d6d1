/**
 * The pass registry and pipelines: passes are looked up by name, composed into a list and run to a
 * fixed point (a pass can expose work for an earlier one: div-to-mul lets a Mul fold into a Conv,
 * constant folding exposes BatchNorm parameters, ...).
 */
import { NpuqError } from '../errors';
import type { Graph } from '../ir/graph';
import { runSteps, type Steps } from '../ir/steps';
import { CONSTANT_FOLD, DEAD_CODE, REMOVE_IDENTITY } from './cleanup';
import { FOLD_CHANNEL_SWAP } from './channel-swap';
import { CONV_STRIDE_TO_SLICE } from './conv-stride';
import { DIV_TO_MUL } from './div-to-mul';
import { FOLD_BATCHNORM } from './fold-batchnorm';
import { FOLD_AFTER_CONV, FOLD_BEFORE_CONV } from './fold-conv-affine';
import { FUSE_HARDSWISH } from './hardswish';
import type { Pass, PassContext } from './pass';
import { CANCEL_TRANSPOSES } from './transpose';
import { CLE_PASS } from '../ptq/cle';
import { closestNames } from './util';

const REGISTRY: readonly Pass[] = [
  CONSTANT_FOLD, REMOVE_IDENTITY, DEAD_CODE, FOLD_BATCHNORM, FUSE_HARDSWISH, DIV_TO_MUL, FOLD_AFTER_CONV,
  FOLD_BEFORE_CONV, FOLD_CHANNEL_SWAP, CANCEL_TRANSPOSES, CONV_STRIDE_TO_SLICE, CLE_PASS,
];

/**
 * The "optimize" pipeline: every registered pass except conv-stride-to-slice (which trades compute
 * for NPU compatibility and is opt-in) and cle (cross-layer equalization, lib/ptq/cle.ts: it changes
 * the weights' ranges for per-tensor quantization, which a float model does not need). The truncate and extract cuts take tensor names and are
 * not registered by name: use truncatePass / extractPass (or truncateGraph / extractSubgraph).
 */
export const DEFAULT_PIPELINE: readonly string[] = Object.freeze([
  'constant-fold', 'remove-identity', 'dead-code', 'fold-batchnorm', 'fuse-hardswish', 'div-to-mul',
  'fold-mul-add-after-conv', 'fold-mul-add-before-conv', 'fold-channel-swap', 'cancel-transposes',
]);

/** Name, description and whether it is in DEFAULT_PIPELINE, for every registered pass. */
export function listPasses(): { name: string; description: string; default: boolean }[] {
  return REGISTRY.map((p) => ({ name: p.name, description: p.description, default: DEFAULT_PIPELINE.includes(p.name) }));
}

/** The registered pass named `name`; throws INVALID_ARGUMENT naming the closest pass names. */
export function getPass(name: string): Pass {
  if (typeof name !== 'string') throw new TypeError(`Expected a pass name (string) but received ${typeof name}`);
  const p = REGISTRY.find((x) => x.name === name);
  if (p) return p;
  const near = closestNames(name, REGISTRY.map((x) => x.name), 1)[0];
  throw new NpuqError('INVALID_ARGUMENT', `unknown pass "${name}"; did you mean "${near}"? Passes: ${REGISTRY.map((x) => x.name).join(', ')}`);
}

/** What runPasses did, per pass (summed over the rounds). */
export interface PipelineResult {
  /** Total rewrites. */
  changed: number;
  /** Rounds over the whole pipeline (the last one changed nothing, unless maxRounds was reached). */
  rounds: number;
  passes: { name: string; changed: number; details: string[] }[];
}

/** Options of runPasses beyond the PassContext. */
export interface RunPassesOptions extends PassContext {
  /** Rounds over the pipeline before giving up on a fixed point. Default 8. */
  maxRounds?: number;
}

function applyInputShapes(graph: Graph, shapes: Map<string, number[]>): void {
  for (const [name, dims] of shapes) {
    const info = graph.inputs.find((i) => i.name === name);
    if (!info) {
      throw new NpuqError('INVALID_ARGUMENT', `Expected inputShapes to name graph inputs but received "${name}"; the graph inputs are ${graph.inputs.map((i) => `"${i.name}"`).join(', ')}`);
    }
    const ok = Array.isArray(dims) && dims.every((d) => Number.isInteger(d) && d >= 0)
      && (info.shape === undefined || (info.shape.length === dims.length && info.shape.every((d, i) => typeof d !== 'number' || d === dims[i])));
    if (!ok) throw new NpuqError('SHAPE_MISMATCH', `Expected a shape matching [${info.shape?.join(',') ?? '?'}] for input "${name}" but received [${dims}]`);
    info.shape = dims.slice();
  }
}

/**
 * Runs `passes` (names or Pass objects; default DEFAULT_PIPELINE) over `graph` in place, repeating
 * the whole list until a round changes nothing (at most `maxRounds`). With `inputShapes`, those
 * graph inputs are first re-declared with the given shapes. Returns what each pass changed.
 * Throws INVALID_ARGUMENT for an unknown pass name (naming the closest one) before touching the graph.
 */
export function runPasses(graph: Graph, passes: readonly (string | Pass)[] = DEFAULT_PIPELINE, options: RunPassesOptions = {}): PipelineResult {
  return runSteps(runPassesSteps(graph, passes, options));
}

/**
 * {@link runPasses} as steps (one per pass run), for callers that run it in time slices
 * (`runStepsSliced`, lib/ir/steps.ts); same result. Argument errors are thrown by the first step.
 */
export function* runPassesSteps(graph: Graph, passes: readonly (string | Pass)[] = DEFAULT_PIPELINE, options: RunPassesOptions = {}): Steps<PipelineResult> {
  if (!Array.isArray(passes)) throw new TypeError(`Expected an array of pass names or passes but received ${typeof passes}`);
  const list = passes.map((p) => (typeof p === 'string' ? getPass(p) : p));
  for (const p of list) {
    if (!p || typeof p.run !== 'function' || typeof p.name !== 'string') throw new TypeError('Expected each pass to be a name or { name, description, run(graph, ctx) }');
  }
  const maxRounds = options.maxRounds ?? 8;
  if (!Number.isInteger(maxRounds) || maxRounds < 1) throw new RangeError(`Expected an integer >= 1 for maxRounds but received ${maxRounds}`);
  if (options.inputShapes) applyInputShapes(graph, options.inputShapes);
  const totals = list.map((p) => ({ name: p.name, changed: 0, details: [] as string[] }));
  let rounds = 0;
  for (;;) {
    rounds++;
    let changed = 0;
    for (const [i, p] of list.entries()) {
      yield;
      const r = p.steps ? yield* p.steps(graph, options) : p.run(graph, options);
      if (r.changed > 0) graph.sortTopologically();
      totals[i].changed += r.changed;
      for (const d of r.details) if (r.changed > 0 || !totals[i].details.includes(d)) totals[i].details.push(d);
      changed += r.changed;
    }
    if (changed === 0 || rounds >= maxRounds) break;
  }
  return { changed: totals.reduce((a, t) => a + t.changed, 0), rounds, passes: totals };
}
