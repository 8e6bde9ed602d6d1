/**
 * Our emulated integers against onnxruntime-node's on the QDQ export of a quantized model, tensor by
 * tensor: every quantized activation (the QuantizeLinear outputs of the export) is made a graph
 * output, both sides run the same batch, and each tensor reports how many integers differ and by how
 * much. Shared by the onnxruntime comparison tests (test/quantize, test/export).
 */
import * as ort from 'onnxruntime-node';
import { toQdqModel } from '../lib/export/qdq';
import { serializeModel } from '../lib/io/onnx';
import type { Tensor } from '../lib/ir/tensor';
import type { QuantizedModel } from '../lib/quantize/quantized-model';

export interface TensorGap {
  tensor: string;
  /** Largest |ours - theirs| over the tensor. */
  max: number;
  /** Integers that differ. */
  differing: number;
  size: number;
}

/** Every quantized tensor but the graph input: ours vs onnxruntime's. */
export async function ortGaps(qm: QuantizedModel, input: string, x: Tensor): Promise<TensorGap[]> {
  const qdq = toQdqModel(qm);
  const names = [...qm.plan.tensors.keys()].filter((t) => t !== input);
  for (const t of names) qdq.graph.outputs.push({ name: `${t}_QuantizeLinear_Output`, dtype: qm.plan.tensors.get(t)!.dtype, shape: undefined });
  const session = await ort.InferenceSession.create(serializeModel(qdq), { intraOpNumThreads: 1 });
  try {
    const theirs = await session.run({ [input]: new ort.Tensor('float32', x.data as Float32Array, x.shape.slice()) });
    const ours = await qm.run({ [input]: x }, { integer: true, outputs: names });
    return names.map((t) => {
      const a = ours[t].data as ArrayLike<number>, b = theirs[`${t}_QuantizeLinear_Output`].data as ArrayLike<number>;
      if (a.length !== b.length) throw new Error(`${t}: ${a.length} integers here, ${b.length} in onnxruntime`);
      let max = 0, differing = 0;
      for (let i = 0; i < a.length; i++) {
        const d = Math.abs(a[i] - b[i]);
        if (d) differing++;
        if (d > max) max = d;
      }
      return { tensor: t, max, differing, size: a.length };
    });
  } finally {
    await session.release();
  }
}
