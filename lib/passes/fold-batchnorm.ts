/**
 * Folds an inference-mode BatchNormalization into the Conv, ConvTranspose or Gemm that feeds it,
 * when the producer's weights and the BN parameters are constants and the producer's output has no
 * other consumer: W'[m] = W[m] * s[m], b'[m] = (b[m] - mean[m]) * s[m] + beta[m], with
 * s = gamma / sqrt(var + eps). The BN output name is kept, so names stay stable for reports.
 */
import type { Graph, Node } from '../ir/graph';
import { Tensor } from '../ir/tensor';

export interface PassResult {
  /** Human-readable list of what changed. */
  changes: string[];
}

function f32(t: Tensor | undefined): Float32Array | undefined {
  return t && t.dtype === 'float32' ? (t.data as Float32Array) : undefined;
}

export function foldBatchNorm(graph: Graph): PassResult {
  const changes: string[] = [];
  const consumers = graph.consumers();
  const producers = graph.producers();
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const remove = new Set<Node>();
  for (const bn of graph.nodes) {
    if (bn.opType !== 'BatchNormalization' || bn.outputs.slice(1).some((o) => o) || bn.has('training_mode') && bn.attrInt('training_mode') !== 0) continue;
    const prod = producers.get(bn.inputs[0]);
    if (!prod || !['Conv', 'ConvTranspose', 'Gemm'].includes(prod.opType)) continue;
    if ((consumers.get(bn.inputs[0]) ?? []).length !== 1 || outputs.has(bn.inputs[0])) continue;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((n) => f32(graph.initializers.get(n)));
    const w = graph.initializers.get(prod.inputs[1]);
    const wd = f32(w);
    if (!gamma || !beta || !mean || !variance || !w || !wd) continue;
    const C = gamma.length;
    const eps = bn.attrFloat('epsilon', 1e-5);
    let perOut: number, outAxisStride: number, outCount: number;
    if (prod.opType === 'Conv') {
      outCount = w.shape[0];
      perOut = wd.length / outCount;
      outAxisStride = perOut;
    } else if (prod.opType === 'ConvTranspose') {
      const group = prod.attrInt('group', 1);
      if (group !== 1) continue;
      outCount = w.shape[1];
      perOut = 0;
      outAxisStride = 0;
    } else {
      // Gemm: output columns = N; B is [K,N] or [N,K] with transB. BN over [M,N] uses axis 1.
      if (prod.attrFloat('alpha', 1) !== 1 || prod.attrFloat('beta', 1) !== 1) continue;
      outCount = prod.attrInt('transB', 0) ? w.shape[0] : w.shape[1];
      perOut = 0;
      outAxisStride = 0;
    }
    if (outCount !== C) continue;
    const biasName = prod.inputs[2];
    const bias = biasName ? f32(graph.initializers.get(biasName)) : undefined;
    if (biasName && (!bias || bias.length !== C)) continue;
    const scale = new Float32Array(C);
    for (let c = 0; c < C; c++) scale[c] = gamma[c] / Math.sqrt(variance[c] + eps);
    const nw = new Float32Array(wd.length);
    if (prod.opType === 'Conv') {
      for (let m = 0; m < C; m++) for (let k = 0; k < perOut; k++) nw[m * outAxisStride + k] = wd[m * outAxisStride + k] * scale[m];
    } else if (prod.opType === 'ConvTranspose') {
      const [ci, co] = [w.shape[0], w.shape[1]];
      const ks = wd.length / (ci * co);
      for (let i = 0; i < ci; i++) for (let m = 0; m < co; m++) for (let k = 0; k < ks; k++) {
        const idx = (i * co + m) * ks + k;
        nw[idx] = wd[idx] * scale[m];
      }
    } else {
      const transB = prod.attrInt('transB', 0) !== 0;
      const [r, c2] = [w.shape[0], w.shape[1]];
      for (let i = 0; i < r; i++) for (let j = 0; j < c2; j++) nw[i * c2 + j] = wd[i * c2 + j] * scale[transB ? i : j];
    }
    const nb = new Float32Array(C);
    for (let c = 0; c < C; c++) nb[c] = ((bias ? bias[c] : 0) - mean[c]) * scale[c] + beta[c];
    const wName = `${bn.outputs[0]}__bnfold_weight`;
    const bName = `${bn.outputs[0]}__bnfold_bias`;
    graph.initializers.set(wName, new Tensor('float32', w.shape, nw));
    graph.initializers.set(bName, new Tensor('float32', [C], nb));
    prod.inputs[1] = wName;
    prod.inputs[2] = bName;
    prod.outputs[0] = bn.outputs[0];
    remove.add(bn);
    changes.push(`folded ${bn.describe()} into ${prod.describe()}`);
  }
  if (remove.size) {
    graph.nodes = graph.nodes.filter((n) => !remove.has(n));
    graph.removeDeadNodes();
  }
  return { changes };
}
