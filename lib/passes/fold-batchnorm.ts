/**
 * Folds an inference-mode BatchNormalization into the Conv, ConvTranspose or Gemm that feeds it,
 * when the producer's weights and the BN parameters are constants and the producer's output has no
 * other reader: W'[m] = W[m] * s[m], b'[m] = (b[m] - mean[m]) * s[m] + beta[m], with
 * s = gamma / sqrt(var + eps) (computed in double, rounded once to float32). The BN output name is
 * kept, so names stay stable for reports. Exact up to float rounding.
 */
import type { Graph, Node } from '../ir/graph';
import { Tensor } from '../ir/tensor';
import { result, type Pass, type PassResult } from './pass';
import { NameGen, constF32, outChannelOf, outputSet, removeDead } from './util';

export type { PassResult } from './pass';

/** The producer's bias as C values (Gemm's C may be a scalar, [N] or [1,N]), or undefined when not foldable. */
function biasOf(graph: Graph, prod: Node, C: number): Float64Array | undefined {
  const out = new Float64Array(C);
  const name = prod.inputs[2];
  if (!name) return out;
  const b = constF32(graph, name);
  if (!b) return undefined;
  const d = b.data as Float32Array;
  const scalar = b.size === 1;
  if (prod.opType === 'Gemm') {
    if (!scalar && !(b.size === C && (b.shape.length === 1 || (b.shape.length === 2 && b.shape[0] === 1)))) return undefined;
    const beta = prod.attrFloat('beta', 1);
    for (let c = 0; c < C; c++) out[c] = beta * d[scalar ? 0 : c];
    return out;
  }
  if (b.size !== C) return undefined;
  for (let c = 0; c < C; c++) out[c] = d[c];
  return out;
}

/**
 * Folds every BatchNormalization that follows a Conv, ConvTranspose (any group) or Gemm (any alpha,
 * beta, transB; bias scalar, [N] or [1,N]) into it.
 */
export function foldBatchNorm(graph: Graph): PassResult {
  const changes: string[] = [];
  const consumers = graph.consumers();
  const producers = graph.producers();
  const outputs = outputSet(graph);
  const names = new NameGen(graph);
  const remove = new Set<Node>();
  for (const bn of graph.nodes) {
    if (bn.opType !== 'BatchNormalization' || bn.domain !== '' || bn.outputs.slice(1).some((o) => o)) continue;
    if (bn.has('training_mode') && bn.attrInt('training_mode') !== 0) continue;
    const prod = producers.get(bn.inputs[0]);
    if (!prod || !['Conv', 'ConvTranspose', 'Gemm'].includes(prod.opType) || prod.domain !== '') continue;
    if ((consumers.get(bn.inputs[0]) ?? []).length !== 1 || outputs.has(bn.inputs[0])) continue;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((n) => constF32(graph, n)?.data as Float32Array | undefined);
    const w = constF32(graph, prod.inputs[1]);
    if (!gamma || !beta || !mean || !variance || !w) continue;
    const C = gamma.length;
    if ([beta, mean, variance].some((a) => a.length !== C)) continue;
    const chan = outChannelOf(prod, w, C);
    const bias = chan && biasOf(graph, prod, C);
    if (!chan || !bias) continue;
    const eps = bn.attrFloat('epsilon', 1e-5);
    const scale = new Float64Array(C);
    for (let c = 0; c < C; c++) scale[c] = gamma[c] / Math.sqrt(variance[c] + eps);
    const wd = w.data as Float32Array;
    const nw = new Float32Array(wd.length);
    for (let i = 0; i < wd.length; i++) nw[i] = wd[i] * scale[chan(i)];
    const nb = new Float32Array(C);
    for (let c = 0; c < C; c++) nb[c] = (bias[c] - mean[c]) * scale[c] + beta[c];
    const wName = names.next(`${bn.outputs[0]}__bnfold_weight`);
    const bName = names.next(`${bn.outputs[0]}__bnfold_bias`);
    graph.initializers.set(wName, new Tensor('float32', w.shape, nw));
    graph.initializers.set(bName, new Tensor('float32', [C], nb));
    prod.inputs[1] = wName;
    prod.inputs[2] = bName;
    if (prod.opType === 'Gemm') prod.attrs.set('beta', { kind: 'float', value: 1 });
    graph.valueInfo.delete(prod.outputs[0]);
    prod.outputs[0] = bn.outputs[0];
    remove.add(bn);
    changes.push(`folded ${bn.describe()} into ${prod.describe()}`);
  }
  if (remove.size) {
    graph.nodes = graph.nodes.filter((n) => !remove.has(n));
    removeDead(graph);
  }
  return result(changes);
}

export const FOLD_BATCHNORM: Pass = {
  name: 'fold-batchnorm',
  description: 'fold BatchNormalization into the Conv, ConvTranspose or Gemm before it',
  run: (graph) => foldBatchNorm(graph),
};
