/**
 * Per-channel rescaling between a producer and its consumers, the float-exact rewrite behind
 * cross-layer equalization and SmoothQuant: dividing output channel i of a producer (Conv, Gemm,
 * MatMul with constant B, or LayerNormalization over the last axis) by s_i and multiplying the
 * weights its consumers apply to channel i by s_i leaves the consumers' outputs unchanged, provided
 * every op in between is positively homogeneous per channel (f(x / s) = f(x) / s for s > 0): Relu,
 * LeakyRelu, Clip(0, no upper bound), MaxPool, AveragePool, GlobalAveragePool, and a Flatten
 * (axis 1) just before a Gemm. A Clip with an upper bound (Relu6) is not: clip(x / s, 0, 6) differs
 * from clip(x, 0, 6) / s, and ONNX Clip takes no per-channel bounds, so such chains are left alone.
 */
import type { Graph, Node } from '../ir/graph';
import { Tensor } from '../ir/tensor';
import { clipBounds } from '../quantize/plan/executions';
import { NameGen, outputSet } from '../passes/util';
import { biasValues, floatInit, weightMatrix, type WeightMatrix } from './layout';

// Math functions as module constants: hot loops stay fast where the global object is slow to read (jest's sandbox).
const { abs, floor } = Math;

/** A producer, the channel-wise ops after it, and the weighted layers that read the result. */
export interface ScaleChain {
  producer: Node;
  /** Ops between producer and consumers, in order. */
  through: Node[];
  /** The tensor the consumers read (input 0). */
  end: string;
  consumers: WeightMatrix[];
  /** Consumer input channels per producer channel (> 1 after a Flatten of a spatial map). */
  spatial: number;
}

/** Producer kinds whose output channels can absorb 1 / s. */
function producerChannels(graph: Graph, node: Node): number | undefined {
  if (node.opType === 'LayerNormalization' && node.domain === '') {
    const g = floatInit(graph, node.inputs[1]);
    const axis = node.attrInt('axis', -1);
    if (!g || g.shape.length !== 1 || axis !== -1) return undefined;
    if (node.inputs[2] && !floatInit(graph, node.inputs[2])) return undefined;
    if (node.outputs.slice(1).some((o) => o)) return undefined;
    return g.size;
  }
  const m = weightMatrix(graph, node);
  if (!m || !biasValues(graph, m)) return undefined;
  return m.cout;
}

/** Per-channel pools (NCHW producers only). */
const POOLS = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool']);

/**
 * The chain after `producer`, or a reason (string) why there is none. `single`: exactly one consumer
 * (CLE); otherwise every reader of the end tensor must be a weighted layer (SmoothQuant).
 * `consumerOk` filters the consumers (e.g. groups = 1 for SmoothQuant).
 */
export function followChain(
  graph: Graph, producer: Node, opts: { single: boolean; consumerOk?: (m: WeightMatrix) => boolean },
  consumersOf = graph.consumers(), outputs = outputSet(graph),
): ScaleChain | string | undefined {
  const channels = producerChannels(graph, producer);
  if (channels === undefined) return undefined;
  const convLike = producer.opType === 'Conv';
  const through: Node[] = [];
  let y = producer.outputs[0];
  let spatial = 1;
  for (;;) {
    if (outputs.has(y)) return undefined;
    const readers = consumersOf.get(y) ?? [];
    if (readers.length === 0) return undefined;
    const next = readers[0];
    if (readers.length === 1 && next.domain === '' && next.inputs[0] === y) {
      let homogeneous = next.opType === 'Relu' || next.opType === 'LeakyRelu'
        || (convLike && POOLS.has(next.opType) && !next.outputs.slice(1).some((o) => o));
      if (next.opType === 'Clip') {
        const b = clipBounds(graph, next);
        if (!b || b.min !== 0) return undefined;
        if (b.max !== undefined && b.max !== Infinity) {
          return `${producer.describe()} -> ${next.describe()}: a Clip with an upper bound (${b.max}) is not scale-equivariant`;
        }
        homogeneous = true;
      }
      if (homogeneous) {
        through.push(next);
        y = next.outputs[0];
        continue;
      }
      if (next.opType === 'Flatten' && convLike && next.attrInt('axis', 1) === 1) {
        const after = consumersOf.get(next.outputs[0]) ?? [];
        const m = after.length === 1 && after[0].opType === 'Gemm' ? weightMatrix(graph, after[0], true) : undefined;
        if (!m || outputs.has(next.outputs[0]) || m.k % channels !== 0) return undefined;
        spatial = m.k / channels;
        through.push(next);
        y = next.outputs[0];
      }
    }
    break;
  }
  const readers = consumersOf.get(y) ?? [];
  if (opts.single && readers.length !== 1) return undefined;
  const consumers: WeightMatrix[] = [];
  for (const r of readers) {
    const m = weightMatrix(graph, r, true);
    if (!m || r.inputs[0] !== y || r.inputs.slice(1).includes(y)) return undefined;
    if ((m.kind === 'Conv') !== (convLike && !through.some((t) => t.opType === 'Flatten'))) return undefined;
    if (m.cin !== channels * spatial) return undefined;
    if (opts.consumerOk && !opts.consumerOk(m)) return undefined;
    consumers.push(m);
  }
  return { producer, through, end: y, consumers, spatial };
}

/** Working float64 copies of the weights and biases being rescaled, written back once at the end. */
export class ScaleBook {
  private readonly weights = new Map<string, Float64Array>();
  private readonly biases = new Map<string, Float64Array>();

  constructor(private readonly graph: Graph) {}

  /** The working weights of a node (its weight matrix, or LayerNormalization's scale). */
  weight(node: Node): Float64Array {
    let w = this.weights.get(node.name);
    if (!w) {
      w = Float64Array.from(floatInit(this.graph, node.inputs[1])!.data as Float32Array);
      this.weights.set(node.name, w);
    }
    return w;
  }

  private bias(node: Node, channels: number): Float64Array {
    let b = this.biases.get(node.name);
    if (!b) {
      if (node.opType === 'LayerNormalization') {
        const t = floatInit(this.graph, node.inputs[2]);
        b = t ? Float64Array.from(t.data as Float32Array) : new Float64Array(channels);
      } else {
        b = biasValues(this.graph, weightMatrix(this.graph, node)!)!;
      }
      this.biases.set(node.name, b);
    }
    return b;
  }

  /** Output channel c of the producer divided by s[c] (weights and bias). */
  divideOutputs(producer: Node, s: Float64Array): void {
    const w = this.weight(producer);
    const b = this.bias(producer, s.length);
    if (producer.opType === 'LayerNormalization') {
      for (let c = 0; c < s.length; c++) w[c] /= s[c];
    } else {
      const m = weightMatrix(this.graph, producer)!;
      for (let c = 0; c < m.cout; c++) for (let j = 0; j < m.k; j++) w[m.index(c, j)] /= s[c];
    }
    for (let c = 0; c < s.length; c++) b[c] /= s[c];
  }

  /** Weights the consumer applies to producer channel c multiplied by s[c]. */
  multiplyInputs(m: WeightMatrix, s: Float64Array, spatial: number): void {
    const w = this.weight(m.node);
    for (let c = 0; c < m.cout; c++) for (let j = 0; j < m.k; j++) w[m.index(c, j)] *= s[floor(m.inChannel(c, j) / spatial)];
  }

  /** Per producer channel: max |w| over the consumers' weights that read it. */
  inputAbsMax(consumers: WeightMatrix[], channels: number, spatial: number): Float64Array {
    const r = new Float64Array(channels);
    for (const m of consumers) {
      const w = this.weight(m.node);
      for (let c = 0; c < m.cout; c++) {
        for (let j = 0; j < m.k; j++) {
          const ch = floor(m.inChannel(c, j) / spatial);
          const a = abs(w[m.index(c, j)]);
          if (a > r[ch]) r[ch] = a;
        }
      }
    }
    return r;
  }

  /** Writes every changed weight and bias as new float32 initializers; returns the rewritten node names. */
  commit(): string[] {
    const names = new NameGen(this.graph);
    const byName = new Map(this.graph.nodes.map((n) => [n.name, n]));
    const add = (node: Node, input: number, data: Float64Array, shape: readonly number[], suffix: string) => {
      const name = names.next(`${node.inputs[input] || node.outputs[0]}__${suffix}`);
      this.graph.initializers.set(name, new Tensor('float32', shape, Float32Array.from(data)));
      while (node.inputs.length <= input) node.inputs.push('');
      node.inputs[input] = name;
    };
    for (const [n, w] of this.weights) {
      const node = byName.get(n)!;
      add(node, 1, w, floatInit(this.graph, node.inputs[1])!.shape, 'scaled');
    }
    for (const [n, b] of this.biases) {
      const node = byName.get(n)!;
      if (node.opType === 'MatMul' || (!node.inputs[2] && b.every((v) => v === 0))) continue;
      const old = floatInit(this.graph, node.inputs[2]);
      add(node, 2, b, old && old.size === b.length ? old.shape : [b.length], 'scaled');
    }
    return [...new Set([...this.weights.keys(), ...this.biases.keys()])];
  }
}
