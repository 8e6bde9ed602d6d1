/**
 * onnxruntime as an outside oracle for the integer engine: random QLinearConv and QLinearMatMul
 * models (u8 activations, s8 weights) run in onnxruntime-node with its fused integer kernels and
 * in npuquant; the output integers must be identical. Weights stay within 7 bits (|w| <= 63): on
 * AVX2 without VNNI onnxruntime multiplies u8 x s8 with vpmaddubsw, which saturates pairs of
 * products to int16 otherwise (quantization-facts section 8), and then it is not exact.
 */
import * as ort from 'onnxruntime-node';
import { Graph, Model, Node } from '../../lib/ir/graph';
import { Tensor, type DType } from '../../lib/ir/tensor';
import { serializeModel } from '../../lib/io/onnx';
import { Session } from '../../lib/runtime/session';

let seed = 20261122;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const rint = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

function tensor(dtype: DType, shape: number[], values: number[]): Tensor {
  return Tensor.fromNumbers(dtype, shape, values);
}

function randomInts(n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => rint(lo, hi));
}

async function compare(model: Model, feeds: Record<string, Tensor>): Promise<{ ours: number[]; theirs: number[] }> {
  const bytes = serializeModel(model);
  const ortSession = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor('uint8', t.data as Uint8Array, t.shape as number[]);
  const theirs = Array.from((await ortSession.run(ortFeeds)).y.data as Uint8Array);
  const s = await Session.create(model, { threads: 2 });
  const ours = Array.from((await s.run(feeds)).y.data as Uint8Array);
  s.dispose();
  // The comparison means something only if the outputs are not all saturated or constant.
  const inside = theirs.filter((v) => v > 0 && v < 255).length;
  if (theirs.length >= 8) expect(new Set(theirs).size).toBeGreaterThan(2);
  expect(inside).toBeGreaterThan(theirs.length / 4);
  return { ours, theirs };
}

function modelWith(build: (g: Graph) => void): Model {
  const g = new Graph();
  g.opsets = new Map([['', 13]]);
  build(g);
  g.sortTopologically();
  const m = new Model(g);
  m.irVersion = 7;
  return m;
}

describe('integer engine vs onnxruntime integer kernels', () => {
  it('QLinearConv: 40 random convolutions give identical integers', async () => {
    for (let trial = 0; trial < 40; trial++) {
      const depthwise = trial % 5 === 4;
      const C = depthwise ? rint(2, 8) : rint(1, 8), G = depthwise ? C : 1, M = depthwise ? C * rint(1, 2) : rint(1, 9);
      const K = [1, 3, 5][rint(0, 2)], S = rint(1, 2), P = rint(0, Math.floor(K / 2)), H = rint(K, 12), W = rint(K, 12);
      const perChannel = rnd() < 0.5;
      const xScale = 0.01 + rnd() * 0.05, yScale = 0.05 + rnd() * 0.5, xZp = rint(0, 255), yZp = rint(64, 192);
      const wScales = Array.from({ length: perChannel ? M : 1 }, () => 0.002 + rnd() * 0.02);
      const w = randomInts(M * (C / G) * K * K, -63, 63);
      const bias = randomInts(M, -2000, 2000);
      const OH = Math.floor((H + 2 * P - K) / S) + 1, OW = Math.floor((W + 2 * P - K) / S) + 1;
      const model = modelWith((g) => {
        g.inputs = [{ name: 'x', dtype: 'uint8', shape: [1, C, H, W] }];
        g.outputs = [{ name: 'y', dtype: 'uint8', shape: [1, M, OH, OW] }];
        const init: [string, Tensor][] = [
          ['xs', tensor('float32', [], [xScale])], ['xz', tensor('uint8', [], [xZp])],
          ['w', tensor('int8', [M, C / G, K, K], w)], ['ws', tensor('float32', perChannel ? [M] : [], wScales)],
          ['wz', tensor('int8', perChannel ? [M] : [], new Array(perChannel ? M : 1).fill(0))],
          ['ys', tensor('float32', [], [yScale])], ['yz', tensor('uint8', [], [yZp])], ['b', tensor('int32', [M], bias)],
        ];
        for (const [k, v] of init) g.initializers.set(k, v);
        const n = new Node('conv', 'QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], ['y']);
        n.attrs.set('kernel_shape', { kind: 'ints', value: [K, K] });
        n.attrs.set('strides', { kind: 'ints', value: [S, S] });
        n.attrs.set('pads', { kind: 'ints', value: [P, P, P, P] });
        n.attrs.set('group', { kind: 'int', value: G });
        g.nodes = [n];
      });
      const x = tensor('uint8', [1, C, H, W], randomInts(C * H * W, 0, 255));
      const { ours, theirs } = await compare(model, { x });
      const diff = ours.findIndex((v, i) => v !== theirs[i]);
      if (diff >= 0) {
        throw new Error(`trial ${trial} (C=${C} M=${M} G=${G} K=${K} S=${S} P=${P} H=${H} W=${W} perChannel=${perChannel}): ` +
          `element ${diff}: ours ${ours[diff]}, onnxruntime ${theirs[diff]}`);
      }
    }
  });

  it('QLinearMatMul: 30 random products give identical integers', async () => {
    for (let trial = 0; trial < 30; trial++) {
      const Mr = rint(1, 9), K = rint(1, 40), N = rint(1, 20);
      const aScale = 0.01 + rnd() * 0.05, bScale = 0.002 + rnd() * 0.02, yScale = 0.05 + rnd() * 0.5;
      const aZp = rint(0, 255), yZp = rint(64, 192);
      const model = modelWith((g) => {
        g.inputs = [{ name: 'a', dtype: 'uint8', shape: [Mr, K] }];
        g.outputs = [{ name: 'y', dtype: 'uint8', shape: [Mr, N] }];
        const init: [string, Tensor][] = [
          ['as', tensor('float32', [], [aScale])], ['az', tensor('uint8', [], [aZp])],
          ['b', tensor('int8', [K, N], randomInts(K * N, -63, 63))], ['bs', tensor('float32', [], [bScale])],
          ['bz', tensor('int8', [], [0])], ['ys', tensor('float32', [], [yScale])], ['yz', tensor('uint8', [], [yZp])],
        ];
        for (const [k, v] of init) g.initializers.set(k, v);
        g.nodes = [new Node('mm', 'QLinearMatMul', ['a', 'as', 'az', 'b', 'bs', 'bz', 'ys', 'yz'], ['y'])];
      });
      const a = tensor('uint8', [Mr, K], randomInts(Mr * K, 0, 255));
      const { ours, theirs } = await compare(model, { a });
      const diff = ours.findIndex((v, i) => v !== theirs[i]);
      if (diff >= 0) throw new Error(`trial ${trial} (M=${Mr} K=${K} N=${N}): element ${diff}: ours ${ours[diff]}, onnxruntime ${theirs[diff]}`);
    }
  });
});
