/**
 * QDQ ONNX export: the float model with QuantizeLinear/DequantizeLinear pairs around every quantized
 * tensor, the format onnxruntime's quantize_static writes and its CPU provider fuses into integer
 * kernels (QLinearConv, QGemm, QLinearAdd, ...). Node names and float tensor names are kept, so tools
 * (Netron, onnxruntime's profiler) match them; Q/DQ outputs are named `<tensor>_QuantizeLinear_Output`
 * and `<tensor>_DequantizeLinear_Output` as onnxruntime names them.
 *
 * - Activations: after the producer (or at the graph input), Q→DQ with the home parameters; every
 *   consumer reads the DQ output.
 * - A Relu/Clip folded into its producer: the producer's output gets Q→DQ with the activation
 *   output's parameters, which is exactly the folded clamp, and lets onnxruntime fuse the producer.
 * - Weights: int8/int16 initializer `<name>_quantized` + DQ (per-channel `axis` when per channel);
 *   biases: int32 `<name>_quantized` with scale `s_in * s_w` + DQ.
 * - A constant operand of an integer Add/Sub/Mul: `<name>_quantized` + DQ with the quantization the
 *   emulation gives it, so onnxruntime fuses QLinearAdd/QLinearMul instead of adding in float.
 * Opset is raised to 13 when lower (per-axis DequantizeLinear), every float operator rewritten to its
 * opset-13 form (lib/ir/opset-upgrade.ts). 16-bit activations need opset 21 and
 * are written in the com.microsoft domain's Q/DQ (which onnxruntime supports) instead.
 */
import { NpuqError } from '../errors';
import { Graph, Model, Node } from '../ir/graph';
import { Tensor, type DType } from '../ir/tensor';
import type { QuantizedModel } from '../quantize/quantized-model';
import type { TensorQuant } from '../quantize/plan/types';
import { constOperandQuant } from '../quantize/emulate';
import type { QuantDType } from '../quantize/params';
import { irVersionFor, upgradeOpset } from '../ir/opset-upgrade';

const ARRAYS: Record<string, (v: number[]) => Tensor['data']> = {
  int8: (v) => Int8Array.from(v), uint8: (v) => Uint8Array.from(v), int16: (v) => Int16Array.from(v),
  uint16: (v) => Uint16Array.from(v), int32: (v) => Int32Array.from(v),
};

function intTensor(dtype: string, shape: number[], v: number[]): Tensor {
  const make = ARRAYS[dtype];
  if (!make) throw new NpuqError('UNSUPPORTED', `QDQ export cannot store ${dtype} values`);
  return new Tensor(dtype as DType, shape, make(v));
}

/** The QDQ model of a quantized model. */
export function toQdqModel(qm: QuantizedModel): Model {
  const src = upgradeOpset(qm.graph, 13);
  const plan = qm.plan;
  const g = new Graph();
  g.opsets = new Map(src.opsets);
  g.inputs = src.inputs.map((i) => ({ ...i }));
  g.outputs = src.outputs.map((o) => ({ ...o }));
  const byName = new Map(src.nodes.map((n) => [n.name, n]));
  const rename = new Map<string, string>();  // float tensor -> what its consumers read
  const wide = (q: TensorQuant) => q.dtype.endsWith('16');
  const qdq = (t: string, q: TensorQuant, axis?: number): string => {
    const domain = wide(q) ? 'com.microsoft' : '';
    if (domain) g.opsets.set('com.microsoft', 1);
    const per = q.scale.length > 1;
    const s = `${t}_scale`, z = `${t}_zero_point`;
    g.initializers.set(s, new Tensor('float32', per ? [q.scale.length] : [], Float32Array.from(q.scale)));
    g.initializers.set(z, intTensor(q.dtype, per ? [q.zeroPoint.length] : [], q.zeroPoint));
    const qo = `${t}_QuantizeLinear_Output`, dqo = `${t}_DequantizeLinear_Output`;
    const qn = new Node(`${t}_QuantizeLinear`, 'QuantizeLinear', [t, s, z], [qo], domain);
    const dn = new Node(`${t}_DequantizeLinear`, 'DequantizeLinear', [qo, s, z], [dqo], domain);
    if (axis !== undefined && per) {
      qn.attrs.set('axis', { kind: 'int', value: axis });
      dn.attrs.set('axis', { kind: 'int', value: axis });
    }
    g.nodes.push(qn, dn);
    return dqo;
  };
  const constQdq = (t: string, q: TensorQuant, shape: number[], values: number[], axis?: number): string => {
    const qn = `${t}_quantized`;
    g.initializers.set(qn, intTensor(q.dtype, shape, values));
    const per = q.scale.length > 1;
    const s = `${t}_scale`, z = `${t}_zero_point`;
    g.initializers.set(s, new Tensor('float32', per ? [q.scale.length] : [], Float32Array.from(q.scale)));
    g.initializers.set(z, intTensor(q.dtype, per ? [q.zeroPoint.length] : [], q.zeroPoint));
    const out = `${t}_DequantizeLinear_Output`;
    const domain = wide(q) ? 'com.microsoft' : '';
    if (domain) g.opsets.set('com.microsoft', 1);
    const dn = new Node(`${t}_DequantizeLinear`, 'DequantizeLinear', [qn, s, z], [out], domain);
    if (axis !== undefined && per) dn.attrs.set('axis', { kind: 'int', value: axis });
    g.nodes.push(dn);
    return out;
  };
  const read = (t: string) => rename.get(t) ?? t;
  for (const i of src.inputs) {
    const q = plan.tensors.get(i.name);
    if (q) rename.set(i.name, qdq(i.name, q));
  }
  const replaced = new Set<string>();
  const constOperands = new Map<string, string>();  // `<initializer>|<dtype>` -> its DQ output
  const FLOAT_EXECUTIONS = ['keep_float', 'float', 'float16', 'bfloat16', 'lut'];
  for (const node of src.nodes) {
    const nq = plan.nodes.get(node.name);
    const inputs = node.inputs.map((t) => (t ? read(t) : t));
    if (nq && !FLOAT_EXECUTIONS.includes(nq.execution) && nq.fusedInto === undefined && ['Add', 'Sub', 'Mul'].includes(node.opType)) {
      node.inputs.forEach((t, i) => {
        const c = t ? src.initializers.get(t) : undefined;
        if (!c) return;
        const key = `${t}|${nq.precision}`;
        if (!constOperands.has(key)) {
          const { quant, values } = constOperandQuant(qm.profile, c, nq.precision as QuantDType);
          // (A second precision of the same constant gets its own names.)
          const seen = [...constOperands.keys()].some((k) => k.startsWith(`${t}|`));
          constOperands.set(key, constQdq(seen ? `${t}_${nq.precision}` : t, quant, c.shape.slice(), values));
        }
        inputs[i] = constOperands.get(key)!;
      });
    }
    let biasAdd: string | undefined;
    if (nq?.weight) {
      const w = nq.weight;
      const shape = src.initializers.get(w.tensor)!.shape.slice();
      inputs[1] = constQdq(w.tensor, w.quant, shape, w.values, w.quant.axis);
      replaced.add(w.tensor);
      if (nq.bias) {
        const bq: TensorQuant = { dtype: 'int32' as never, scale: nq.bias.scale, zeroPoint: nq.bias.scale.map(() => 0), qmin: 0, qmax: 0 };
        if (nq.bias.dtype === 'int32') {
          inputs[2] = constQdq(nq.bias.tensor, bq, [nq.bias.values.length], nq.bias.values, 0);
        } else {
          // A 64-bit accumulator bias (16-bit layers) or a float32 one has no QDQ form (DequantizeLinear takes int32 at
          // most): it is written dequantized, in float32, which is what DequantizeLinear would give.
          const b = nq.bias;
          const name = `${b.tensor}_dequantized`;
          // (A float32 bias, dequantize-first chips, is kept as it is.)
          const real = b.dtype === 'float32' ? Float32Array.from(b.values)
            : Float32Array.from(b.values, (v, c) => Math.fround(v * (b.scale.length > 1 ? b.scale[c] : b.scale[0])));
          if (b.dtype === 'float32' || b.values.every((v) => Math.abs(v) <= 0x7fffffff) || (node.opType !== 'Conv' && node.opType !== 'Gemm')) {
            g.initializers.set(name, new Tensor('float32', [b.values.length], real));
            inputs[2] = name;
          } else {
            // Beyond int32, onnxruntime's bias quantization (a basic-level graph transform that turns a
            // float bias beside DequantizeLinear inputs into int32) would saturate it: the bias goes
            // into an Add after the layer instead, which that transform leaves alone.
            const rank = node.opType === 'Conv' ? (src.initializers.get(w.tensor)?.shape.length ?? 4) - 1 : 1;
            g.initializers.set(name, new Tensor('float32', [b.values.length, ...new Array(rank - 1).fill(1)], real));
            inputs.length = 2;
            biasAdd = name;
          }
        }
        replaced.add(nq.bias.tensor);
      }
    }
    const n = new Node(node.name, node.opType, inputs, node.outputs.slice(), node.domain);
    for (const [k, a] of node.attrs) n.attrs.set(k, a);
    g.nodes.push(n);
    if (biasAdd) {
      const pre = `${node.outputs[0]}_without_bias`;
      n.outputs[0] = pre;
      g.nodes.push(new Node(`${node.name}_bias_add`, 'Add', [pre, biasAdd], [node.outputs[0]]));
    }
    node.outputs.forEach((o) => {
      if (!o) return;
      let q = plan.tensors.get(o);
      // A folded activation: quantize the producer's output with the activation output's parameters.
      if (!q && nq?.activation) q = plan.tensors.get(byName.get(nq.activation.node)!.outputs[0]);
      if (q) rename.set(o, qdq(o, q));
    });
  }
  // Graph outputs keep their names: the last DQ writes them.
  for (const o of g.outputs) {
    const r = rename.get(o.name);
    if (!r) continue;
    const dq = g.nodes.find((n) => n.outputs[0] === r)!;
    dq.outputs[0] = o.name;
    const q = g.nodes.find((n) => n.outputs[0] === `${o.name}_QuantizeLinear_Output`);
    const orig = g.nodes.find((n) => n.outputs.includes(o.name) && n !== dq);
    if (orig) orig.outputs = orig.outputs.map((x) => (x === o.name ? `${o.name}_float` : x));
    if (q) q.inputs[0] = `${o.name}_float`;
    for (const n of g.nodes) if (n !== dq && n !== q) n.inputs = n.inputs.map((x) => (x === o.name ? `${o.name}_float` : x));
  }
  // Float initializers still read (a constant operand quantized above may have no float reader left).
  const read2 = new Set(g.nodes.flatMap((n) => n.inputs));
  for (const [k, t] of src.initializers) if (!replaced.has(k) && read2.has(k)) g.initializers.set(k, t);
  g.sortTopologically();
  const m = new Model(g);
  m.irVersion = irVersionFor(g.opset, qm.model.irVersion ?? 7);
  m.producerName = 'npuquant';
  return m;
}
