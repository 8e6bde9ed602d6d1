/**
 * Matrix products: Gemm (alpha * A' * B' + beta * C with C unidirectionally broadcast to [M, N]) and
 * MatMul (numpy matmul: 1-D operands promoted, batch dims broadcast). Both fold at compile time
 * (accumulating in double, stored with the dtype's rounding).
 */
import type { Dim } from '../graph';
import { Tensor } from '../tensor';
import { elementReader, elementWriter } from './numeric';
import type { OpContext, OpDef, ValueType } from './types';
import { broadcastIndexMap, broadcastShapes, checkUnidirectional, fmtShape, invalid, mergeDim, optionalInput, requireInput } from './util';

function gemmDims(ctx: OpContext): { m: Dim; n: Dim; dtype: ValueType['dtype'] } {
  const node = ctx.node;
  const a = requireInput(ctx, 0, 'A');
  const b = requireInput(ctx, 1, 'B');
  if (a.dtype !== b.dtype) throw invalid(node, `A (${a.dtype}) and B (${b.dtype}) must have the same dtype`);
  for (const [x, nm] of [[a, 'A'], [b, 'B']] as const) {
    if (x.shape !== undefined && x.shape.length !== 2) throw invalid(node, `${nm} must be 2-D but has shape ${fmtShape(x.shape)}; use MatMul for other ranks`);
  }
  const ta = node.attrInt('transA', 0) !== 0;
  const tb = node.attrInt('transB', 0) !== 0;
  const as = a.shape ?? [undefined, undefined];
  const bs = b.shape ?? [undefined, undefined];
  const m = ta ? as[1] : as[0];
  const ka = ta ? as[0] : as[1];
  const kb = tb ? bs[1] : bs[0];
  const n = tb ? bs[0] : bs[1];
  mergeDim(node, ka, kb, `inner dimensions of A ${fmtShape(a.shape)} (transA=${+ta}) and B ${fmtShape(b.shape)} (transB=${+tb})`);
  return { m, n, dtype: a.dtype };
}

const GEMM: OpDef = {
  opType: 'Gemm',
  infer: (ctx) => {
    const { m, n, dtype } = gemmDims(ctx);
    const c = optionalInput(ctx, 2);
    if (c === undefined && ctx.opset < 11) throw invalid(ctx.node, 'needs input C before opset 11');
    if (c !== undefined) {
      if (c.dtype !== dtype) throw invalid(ctx.node, `C has dtype ${c.dtype} but A has ${dtype}`);
      checkUnidirectional(ctx.node, [m, n], c.shape, 'C');
    }
    return [{ dtype, shape: [m, n] }];
  },
  evaluate: (ctx, inputs) => {
    const node = ctx.node;
    const a = inputs[0] as Tensor;
    const b = inputs[1] as Tensor;
    const c = inputs[2];
    const ta = node.attrInt('transA', 0) !== 0;
    const tb = node.attrInt('transB', 0) !== 0;
    const alpha = node.attrFloat('alpha', 1);
    const beta = node.attrFloat('beta', 1);
    const [M, K] = ta ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
    const N = tb ? b.shape[0] : b.shape[1];
    const ra = elementReader(a);
    const rb = elementReader(b);
    const w = elementWriter(a.dtype, M * N);
    const mc = c ? broadcastIndexMap([M, N], c.shape as number[]) : undefined;
    const rc = c ? elementReader(c) : undefined;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += ra(ta ? k * M + i : i * K + k) * rb(tb ? j * K + k : k * N + j);
        let v = alpha * acc;
        if (rc && mc) v += beta * rc(mc[i * N + j]);
        w.set(i * N + j, v);
      }
    }
    return [new Tensor(a.dtype, [M, N], w.data)];
  },
};

function matmulShape(ctx: OpContext, as: readonly Dim[], bs: readonly Dim[]): Dim[] {
  const node = ctx.node;
  if (as.length === 0 || bs.length === 0) throw invalid(node, 'inputs must have rank >= 1 (scalars are not allowed)');
  const a2 = as.length === 1 ? [1, as[0]] : as;
  const b2 = bs.length === 1 ? [bs[0], 1] : bs;
  mergeDim(node, a2[a2.length - 1], b2[b2.length - 2], `inner dimensions of A ${fmtShape(as)} and B ${fmtShape(bs)}`);
  const batch = broadcastShapes(node, [a2.slice(0, -2), b2.slice(0, -2)]) as Dim[];
  const out = [...batch];
  if (as.length !== 1) out.push(a2[a2.length - 2]);
  if (bs.length !== 1) out.push(b2[b2.length - 1]);
  return out;
}

const MATMUL: OpDef = {
  opType: 'MatMul',
  infer: (ctx) => {
    const a = requireInput(ctx, 0, 'A');
    const b = requireInput(ctx, 1, 'B');
    if (a.dtype !== b.dtype) throw invalid(ctx.node, `A (${a.dtype}) and B (${b.dtype}) must have the same dtype`);
    if (a.shape === undefined || b.shape === undefined) return [{ dtype: a.dtype, shape: undefined }];
    return [{ dtype: a.dtype, shape: matmulShape(ctx, a.shape, b.shape) }];
  },
  evaluate: (ctx, inputs) => {
    const a = inputs[0] as Tensor;
    const b = inputs[1] as Tensor;
    const out = matmulShape(ctx, a.shape, b.shape) as number[];
    const a2 = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
    const b2 = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
    const M = a2[a2.length - 2];
    const K = a2[a2.length - 1];
    const N = b2[b2.length - 1];
    const batch = broadcastShapes(ctx.node, [a2.slice(0, -2), b2.slice(0, -2)]) as number[];
    // Map each batch index to the start of its matrix in A and B.
    const ba = broadcastIndexMap(batch, a2.slice(0, -2));
    const bb = broadcastIndexMap(batch, b2.slice(0, -2));
    const ra = elementReader(a);
    const rb = elementReader(b);
    const nb = ba.length;
    const w = elementWriter(a.dtype, nb * M * N);
    for (let p = 0; p < nb; p++) {
      const oa = ba[p] * M * K;
      const ob = bb[p] * K * N;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < K; k++) acc += ra(oa + i * K + k) * rb(ob + k * N + j);
          w.set((p * M + i) * N + j, acc);
        }
      }
    }
    return [new Tensor(a.dtype, out, w.data)];
  },
};

/** Matrix product operator definitions. */
export const GEMM_OPS: readonly OpDef[] = [GEMM, MATMUL];
