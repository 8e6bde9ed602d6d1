/**
 * Pooling: MaxPool (with optional Indices output, storage_order, dilations, ceil_mode) and
 * AveragePool (count_include_pad, ceil_mode) over 1-D and 2-D windows with every auto_pad mode, and
 * GlobalAveragePool / GlobalMaxPool. All fold at compile time.
 */
import type { Dim } from '../graph';
import { isFloatDType, Tensor } from '../tensor';
import { elementReader, elementWriter } from './numeric';
import type { OpContext, OpDef, ValueType } from './types';
import { fmtShape, invalid, requireInput } from './util';
import { checkSpatial, readWindow, samePads, Window, windowOutputDim } from './window';

function poolWindow(ctx: OpContext, rank: number, max: boolean): Window {
  const node = ctx.node;
  const spatial = rank - 2;
  checkSpatial(node, spatial);
  const w = readWindow(node, spatial, undefined, { dilations: max && ctx.opset >= 10, ceil: ctx.opset >= 10 });
  if (max && ctx.opset >= 8) {
    const so = node.attrInt('storage_order', 0);
    if (so !== 0 && so !== 1) throw invalid(node, `storage_order must be 0 (row major) or 1 (column major) but is ${so}`);
  }
  return w;
}

function inferPool(ctx: OpContext, max: boolean): ValueType[] {
  const node = ctx.node;
  const x = requireInput(ctx, 0, 'X');
  if (!isFloatDType(x.dtype) && !(max && ctx.opset >= 12 && (x.dtype === 'int8' || x.dtype === 'uint8'))) {
    throw invalid(node, `expected a float tensor for X but received ${x.dtype}`);
  }
  const maxOut = max && ctx.opset >= 8 ? 2 : 1;
  if (node.outputs.length > maxOut) throw invalid(node, `has ${node.outputs.length} outputs but allows at most ${maxOut}`);
  let shape: Dim[] | undefined;
  if (x.shape !== undefined) {
    const w = poolWindow(ctx, x.shape.length, max);
    shape = [x.shape[0], x.shape[1]];
    for (let i = 0; i < w.kernel.length; i++) shape.push(windowOutputDim(node, w, i, x.shape[2 + i]));
  } else {
    const k = node.has('kernel_shape') ? node.attrInts('kernel_shape').length : undefined;
    shape = k === undefined ? undefined : new Array<Dim>(k + 2).fill(undefined);
  }
  const out: ValueType[] = [{ dtype: x.dtype, shape }];
  if (node.outputs.length > 1) out.push({ dtype: 'int64', shape: shape?.slice() });
  return out;
}

/** Evaluates MaxPool / AveragePool on a concrete [N, C, ...] tensor with 1 or 2 spatial dims. */
function evalPool(ctx: OpContext, x: Tensor, max: boolean): Tensor[] {
  const node = ctx.node;
  const w = poolWindow(ctx, x.shape.length, max);
  const sp = w.kernel.length;
  // Work on 2-D windows; 1-D pools get a unit leading spatial dim.
  const H = sp === 2 ? x.shape[2] : 1;
  const W = x.shape[2 + sp - 1];
  const k = sp === 2 ? w.kernel : [1, w.kernel[0]];
  const s = sp === 2 ? w.strides : [1, w.strides[0]];
  const d = sp === 2 ? w.dilations : [1, w.dilations[0]];
  let pb = sp === 2 ? [w.pads[0], w.pads[1]] : [0, w.pads[0]];
  let pe = sp === 2 ? [w.pads[2], w.pads[3]] : [0, w.pads[1]];
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
    const p = x.shape.slice(2).map((n, i) => samePads(w, i, n));
    pb = sp === 2 ? [p[0][0], p[1][0]] : [0, p[0][0]];
    pe = sp === 2 ? [p[0][1], p[1][1]] : [0, p[0][1]];
  }
  const outSp = x.shape.slice(2).map((n, i) => windowOutputDim(node, w, i, n) as number);
  const OH = sp === 2 ? outSp[0] : 1;
  const OW = outSp[sp - 1];
  const NC = x.shape[0] * x.shape[1];
  const includePad = !max && node.attrInt('count_include_pad', 0) === 1;
  const colMajor = max && node.attrInt('storage_order', 0) === 1;
  const r = elementReader(x);
  const out = elementWriter(x.dtype, NC * OH * OW);
  const idx = new BigInt64Array(NC * OH * OW);
  for (let p = 0; p < NC; p++) {
    const base = p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const hs = oh * s[0] - pb[0];
        const ws = ow * s[1] - pb[1];
        let best = -Infinity;
        let bestAt = -1;
        let sum = 0;
        let cnt = 0;
        for (let kh = 0; kh < k[0]; kh++) {
          const h = hs + kh * d[0];
          if (h < 0 || h >= H) continue;
          for (let kw = 0; kw < k[1]; kw++) {
            const ww = ws + kw * d[1];
            if (ww < 0 || ww >= W) continue;
            const v = r(base + h * W + ww);
            if (v > best || bestAt < 0) {
              best = v;
              bestAt = colMajor ? p * H * W + ww * H + h : base + h * W + ww;
            }
            sum += v;
            cnt++;
          }
        }
        const o = (p * OH + oh) * OW + ow;
        if (max) {
          out.set(o, best);
          idx[o] = BigInt(bestAt);
        } else {
          let div = cnt;
          if (includePad) {
            const he = Math.min(hs + k[0], H + pe[0]);
            const we = Math.min(ws + k[1], W + pe[1]);
            div = (he - hs) * (we - ws);
          }
          out.set(o, sum / div);
        }
      }
    }
  }
  const shape = [x.shape[0], x.shape[1], ...outSp];
  const res = [new Tensor(x.dtype, shape, out.data)];
  if (node.outputs.length > 1) res.push(new Tensor('int64', shape, idx));
  return res;
}

function globalPool(opType: string, max: boolean): OpDef {
  return {
    opType,
    infer: (ctx) => {
      const x = requireInput(ctx, 0, 'X');
      if (!isFloatDType(x.dtype)) throw invalid(ctx.node, `expected a float tensor for X but received ${x.dtype}`);
      if (x.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
      if (x.shape.length < 3) throw invalid(ctx.node, `X must have rank >= 3 ([N, C, D...]) but has shape ${fmtShape(x.shape)}`);
      return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] }];
    },
    evaluate: (_ctx, inputs) => {
      const x = inputs[0] as Tensor;
      const NC = x.shape[0] * x.shape[1];
      const inner = x.size / Math.max(NC, 1);
      const r = elementReader(x);
      const w = elementWriter(x.dtype, NC);
      for (let p = 0; p < NC; p++) {
        let acc = max ? -Infinity : 0;
        for (let i = 0; i < inner; i++) acc = max ? Math.max(acc, r(p * inner + i)) : acc + r(p * inner + i);
        w.set(p, max ? acc : acc / inner);
      }
      return [new Tensor(x.dtype, [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)], w.data)];
    },
  };
}

/** Pooling operator definitions. */
export const POOL_OPS: readonly OpDef[] = [
  { opType: 'MaxPool', infer: (ctx) => inferPool(ctx, true), evaluate: (ctx, inputs) => evalPool(ctx, inputs[0] as Tensor, true) },
  { opType: 'AveragePool', infer: (ctx) => inferPool(ctx, false), evaluate: (ctx, inputs) => evalPool(ctx, inputs[0] as Tensor, false) },
  globalPool('GlobalAveragePool', false),
  globalPool('GlobalMaxPool', true),
];
