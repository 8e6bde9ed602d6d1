/**
 * Bias correction (Nagel et al. 2019, section 4.2): quantizing weights (and inputs) shifts the mean
 * of a layer's output, E[y_q] - E[y] = E[(W_q - W) x] + ..., a bias that accumulates through the
 * network. It is removed from the integer bias of each Conv/Gemm, in accumulator units
 * (scale float32(s_in * s_w[c])): b_q[c] -= round(e_c / s_b[c]).
 *
 * - `analytic`: e_c = sum_j (W_q - W)[c, j] E[x_j], the weight error only, with E[x_j] the mean of
 *   the float input under weight j (per input channel and kernel offset, so zero padding at the
 *   borders counts) over the calibration sample. The paper takes E[x] from the preceding
 *   BatchNormalization's beta/gamma through a clipped normal; BN is folded here, so the means come
 *   from one float pass over the data instead.
 * - `empirical`: layer by layer in topological order, the quantized model (with every earlier
 *   correction applied) and the float model run on the sample; e_c is the per-channel mean of the
 *   quantized pre-activation output minus the float one. When a Relu/Clip is fused into the layer
 *   its quantized pre-activation output does not exist, so it is computed exactly from the mean of
 *   the layer's quantized input under each weight: E[y_q] = sum_j W_q[c, j] E[x_q,j] + b_q[c]
 *   (requantization rounding is then left out); otherwise the layer's quantized output is measured,
 *   requantization included.
 *
 * Layers without a bias get a zero one before planning (quantize() does it with biasCorrection on),
 * so every integer Conv/Gemm can be corrected; MatMul has no bias input and is left alone.
 */
import type { Model } from '../ir/graph';
import type { ChipProfile } from '../quantize/profile';
import type { NodeQuant, QuantPlan } from '../quantize/plan/types';
import { QuantizedModel } from '../quantize/quantized-model';
import { Session } from '../runtime/session';
import { ChannelStats, PatchMeans, expectedOutput, forEachBatch, quantizedValue, type Feeds } from './data';
import { weightMatrix, type WeightMatrix } from './layout';

// Math functions as module constants: hot loops stay fast where the global object is slow to read (jest's sandbox).
const { abs, max, min, round } = Math;

export type BiasCorrectionMode = 'analytic' | 'empirical';

export interface BiasCorrectionOptions {
  /** Engine threads. Default: the Session default. */
  threads?: number;
}

/** One corrected layer. */
export interface BiasCorrectionLayer {
  name: string;
  /** Largest |e_c| before correction, in output units (float). */
  maxError: number;
  /** Largest |correction| applied, in accumulator units (bias LSB). */
  maxShift: number;
}

/** The integer Conv/Gemm layers with a planned integer bias, in graph order. */
export function correctableLayers(model: Model, plan: QuantPlan): { m: WeightMatrix; nq: NodeQuant }[] {
  const out: { m: WeightMatrix; nq: NodeQuant }[] = [];
  for (const node of model.graph.nodes) {
    const nq = plan.nodes.get(node.name);
    if (!nq || !nq.weight || !nq.bias || nq.execution !== 'integer' || nq.fusedInto !== undefined) continue;
    const m = weightMatrix(model.graph, node);
    if (m) out.push({ m, nq });
  }
  return out;
}

/** Dequantized plan weights of a layer, laid out as its float weight tensor. */
export function dequantizedWeights(m: WeightMatrix, nq: NodeQuant): Float64Array {
  const { quant, values } = nq.weight!;
  const pc = quant.scale.length > 1;
  const out = new Float64Array(values.length);
  for (let c = 0; c < m.cout; c++) {
    const s = quant.scale[pc ? c : 0], z = quant.zeroPoint[pc ? c : 0];
    for (let j = 0; j < m.k; j++) {
      const i = m.index(c, j);
      out[i] = (values[i] - z) * s;
    }
  }
  return out;
}

function applyCorrection(name: string, nq: NodeQuant, e: Float64Array): BiasCorrectionLayer {
  const bias = nq.bias!;
  const lim = bias.dtype === 'int32' ? 2147483647 : Number.MAX_SAFE_INTEGER;
  let maxError = 0, maxShift = 0;
  e.forEach((err, c) => {
    const s = bias.scale[bias.scale.length > 1 ? c : 0];
    if (bias.dtype === 'float32') {
      // A float bias (dequantize-first chips) takes the correction as it is.
      const shift = Number.isFinite(err) ? err : 0;
      bias.values[c] = Math.fround(bias.values[c] - shift);
      maxError = max(maxError, abs(err));
      maxShift = max(maxShift, s > 0 ? abs(shift / s) : 0);
      return;
    }
    const shift = s > 0 && Number.isFinite(err) ? round(err / s) : 0;
    bias.values[c] = min(lim, max(-lim - 1, bias.values[c] - shift));
    maxError = max(maxError, abs(err));
    maxShift = max(maxShift, abs(shift));
  });
  return { name, maxError, maxShift };
}

/**
 * Corrects the integer biases of `plan` in place (see the file comment).
 * @param model The float model the plan was made for.
 * @param batches Calibration sample (in memory: the empirical mode passes over it once per layer).
 */
export async function correctBiases(
  model: Model, profile: ChipProfile, plan: QuantPlan, batches: readonly Feeds[], mode: BiasCorrectionMode,
  options: BiasCorrectionOptions = {},
): Promise<BiasCorrectionLayer[]> {
  if (mode !== 'analytic' && mode !== 'empirical') throw new TypeError(`Expected 'analytic' or 'empirical' for biasCorrection but received ${String(mode)}`);
  const layers = correctableLayers(model, plan);
  if (layers.length === 0 || batches.length === 0) return [];
  const float = await Session.create(model, { threads: options.threads, fuse: false });
  const done: BiasCorrectionLayer[] = [];
  try {
    if (mode === 'analytic') {
      const means = new Map(layers.map(({ m }) => [m.node.name, new PatchMeans(m)]));
      const inputs = [...new Set(layers.map(({ m }) => m.node.inputs[0]))];
      await forEachBatch(float, batches, inputs, (v) => {
        for (const { m } of layers) means.get(m.node.name)!.add(v[m.node.inputs[0]]);
      });
      for (const { m, nq } of layers) {
        const wq = dequantizedWeights(m, nq);
        const w = m.weight.data as Float32Array;
        const dw = wq.map((v, i) => v - w[i]);
        done.push(applyCorrection(m.node.name, nq, expectedOutput(m, dw, means.get(m.node.name)!.mean())));
      }
      return done;
    }
    // Empirical: float pre-activation means of every layer in one pass.
    const floatMeans = new Map(layers.map(({ m }) => [m.node.outputs[0], new ChannelStats(m.cout, m.kind !== 'Conv')]));
    await forEachBatch(float, batches, [...floatMeans.keys()], (v) => {
      for (const [name, s] of floatMeans) s.add(v[name]);
    });
    for (const { m, nq } of layers) {
      const qm = new QuantizedModel(model, profile, plan, { threads: options.threads });
      try {
        let quantMean: Float64Array;
        if (nq.activation) {
          const pm = new PatchMeans(m);
          for (const b of batches) pm.add(await quantizedValue(qm, b, m.node.inputs[0]));
          const bias = nq.bias!;
          const bq = bias.values.map((v, c) => v * bias.scale[bias.scale.length > 1 ? c : 0]);
          quantMean = expectedOutput(m, dequantizedWeights(m, nq), pm.mean(), bq);
        } else {
          const cs = new ChannelStats(m.cout, m.kind !== 'Conv');
          for (const b of batches) cs.add(await quantizedValue(qm, b, m.node.outputs[0]));
          quantMean = cs.mean();
        }
        const fm = floatMeans.get(m.node.outputs[0])!.mean();
        done.push(applyCorrection(m.node.name, nq, quantMean.map((v, c) => v - fm[c])));
      } finally {
        await qm.dispose();
      }
    }
    return done;
  } finally {
    float.dispose();
  }
}
