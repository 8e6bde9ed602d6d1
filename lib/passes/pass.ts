/**
 * The pass contract: a pass is `{ name, description, run(graph, ctx) }`, rewrites the graph in place
 * and reports what it changed. Pipelines (lib/passes/pipeline.ts) are lists of passes built from
 * settings and run to a fixed point.
 */
import type { Graph } from '../ir/graph';
import type { Steps } from '../ir/steps';

/** Settings shared by every pass of a pipeline. */
export interface PassContext {
  /**
   * Concrete shapes of graph inputs by name. When given, passes that read shapes (constant folding of
   * shape subgraphs, SAME padding made explicit, ...) use them, and `runPasses` re-declares those
   * inputs with these shapes (the rewritten graph is then only valid for them). Default: the declared
   * input shapes, symbolic dims staying symbolic.
   */
  inputShapes?: Map<string, number[]>;
  /**
   * Allow rewrites into operators the model's opset does not define (HardSwish below opset 14), for
   * graphs that only run in npuquant's engine (Session does this). Default false: every rewritten
   * graph stays valid ONNX at its opset and runs in onnxruntime.
   */
  engine?: boolean;
  /**
   * Allow a fusion to raise the graph's ai.onnx opset to the first one that defines the operator it
   * makes (HardSwish: 14), the operators whose form changed in between rewritten by upgradeOpset
   * (lib/ir/opset-upgrade.ts): the graph stays valid ONNX, at the new opset. quantize() sets it, since
   * a vendor toolkit quantizes an exported HardSwish as one activation whatever the opset. Default
   * false: the opset is kept and such patterns stay decomposed.
   */
  raiseOpset?: boolean;
  /** Largest element count of a value constant folding turns into an initializer. Default 1 << 20. */
  foldLimit?: number;
}

/** What one run of a pass changed. */
export interface PassResult {
  /** Number of rewrites (0 = the graph is unchanged). */
  changed: number;
  /** One line per rewrite, e.g. `folded BatchNormalization "bn1" into Conv "conv1"`; also notes on patterns left alone and why. */
  details: string[];
}

/** A graph rewrite. `run` mutates `graph` and must report `changed: 0` when it did nothing. */
export interface Pass {
  /** Kebab-case name used in pipelines and on the command line, e.g. "fold-batchnorm". */
  name: string;
  /** One line: what the pass does. */
  description: string;
  run(graph: Graph, ctx: PassContext): PassResult;
  /**
   * Optional: `run` as steps (lib/ir/steps.ts) with the same result, for pipelines run in time slices
   * (quantize()); passes without it run in one step.
   */
  steps?(graph: Graph, ctx: PassContext): Steps<PassResult>;
}

/** A PassResult from a list of change lines (plus notes that are not changes). */
export function result(changes: string[], notes: string[] = []): PassResult {
  return { changed: changes.length, details: [...changes, ...notes] };
}
