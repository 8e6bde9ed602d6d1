/**
 * Normalizations: BatchNormalization (inference and training-mode outputs), InstanceNormalization and
 * LayerNormalization (with its Mean / InvStdDev outputs). Inference-mode forms fold at compile time.
 */
import { DType, dtypeFromOnnx, isFloatDType, Tensor } from '../tensor';
import { elementReader, elementWriter } from './numeric';
import type { InferInput, OpContext, OpDef, ValueType } from './types';
import { broadcastIndexMap, checkUnidirectional, fmtShape, invalid, mergeDim, normalizeAxis, optionalInput, requireInput, unsupported } from './util';

function floatInput(ctx: OpContext, i: number, name: string): InferInput {
  const x = requireInput(ctx, i, name);
  if (!isFloatDType(x.dtype)) throw invalid(ctx.node, `expected a float tensor for ${name} but received ${x.dtype}`);
  return x;
}

function checkPerChannel(ctx: OpContext, x: InferInput, indices: number[], names: string[], spatialOk: boolean): void {
  const c = x.shape?.[1];
  for (let k = 0; k < indices.length; k++) {
    const p = optionalInput(ctx, indices[k]);
    if (p?.shape === undefined) continue;
    if (p.shape.length !== 1) {
      if (spatialOk) continue;
      throw invalid(ctx.node, `${names[k]} must be 1-D of size C but has shape ${fmtShape(p.shape)}`);
    }
    mergeDim(ctx.node, p.shape[0], c, `${names[k]} must have one value per channel of X ${fmtShape(x.shape)}`);
  }
}

const BATCH_NORM: OpDef = {
  opType: 'BatchNormalization',
  infer: (ctx) => {
    const node = ctx.node;
    const x = floatInput(ctx, 0, 'X');
    if (x.shape !== undefined && x.shape.length < 2) throw invalid(node, `X must have rank >= 2 ([N, C, ...]) but has shape ${fmtShape(x.shape)}`);
    for (let i = 1; i < 5; i++) requireInput(ctx, i, ['', 'scale', 'B', 'input_mean', 'input_var'][i]);
    const spatial = ctx.opset < 9 ? node.attrInt('spatial', 1) : 1;
    checkPerChannel(ctx, x, [1, 2, 3, 4], ['scale', 'B', 'input_mean', 'input_var'], spatial === 0);
    const training = ctx.opset >= 14 && node.attrInt('training_mode', 0) === 1;
    const maxOut = ctx.opset >= 14 ? (training ? 3 : 1) : 5;
    const nOut = node.outputs.length;
    if (nOut > maxOut) {
      throw invalid(node, `has ${nOut} outputs but ${ctx.opset >= 14 ? `training_mode=${+training}` : `opset ${ctx.opset}`} allows at most ${maxOut}`);
    }
    const mean = requireInput(ctx, 3, 'input_mean');
    const stat: ValueType = { dtype: mean.dtype, shape: [x.shape?.[1]] };
    const out: ValueType[] = [{ dtype: x.dtype, shape: x.shape?.slice() }];
    for (let i = 1; i < nOut; i++) out.push({ dtype: stat.dtype, shape: stat.shape?.slice() });
    return out;
  },
  evaluate: (ctx, inputs) => {
    if (ctx.node.outputs.length > 1) throw unsupported(ctx.node, 'training-mode BatchNormalization is not folded');
    const [x, scale, b, mean, v] = inputs as Tensor[];
    const eps = ctx.node.attrFloat('epsilon', 1e-5);
    const C = x.shape[1];
    const inner = x.size / (x.shape[0] * C) || 0;
    const rx = elementReader(x);
    const [rs, rb, rm, rv] = [scale, b, mean, v].map(elementReader);
    const per = scale.size !== C; // opset < 9 spatial=0: parameters cover [C, D...]
    const w = elementWriter(x.dtype, x.size);
    for (let i = 0; i < x.size; i++) {
      const c = Math.floor(i / inner) % C;
      const p = per ? i % (C * inner) : c;
      w.set(i, ((rx(i) - rm(p)) / Math.sqrt(rv(p) + eps)) * rs(p) + rb(p));
    }
    return [new Tensor(x.dtype, x.shape, w.data)];
  },
};

const INSTANCE_NORM: OpDef = {
  opType: 'InstanceNormalization',
  infer: (ctx) => {
    const x = floatInput(ctx, 0, 'input');
    if (x.shape !== undefined && x.shape.length < 3) throw invalid(ctx.node, `input must have rank >= 3 ([N, C, D...]) but has shape ${fmtShape(x.shape)}`);
    requireInput(ctx, 1, 'scale');
    requireInput(ctx, 2, 'B');
    checkPerChannel(ctx, x, [1, 2], ['scale', 'B'], false);
    return [{ dtype: x.dtype, shape: x.shape?.slice() }];
  },
  evaluate: (ctx, inputs) => {
    const [x, scale, b] = inputs as Tensor[];
    const eps = ctx.node.attrFloat('epsilon', 1e-5);
    const C = x.shape[1];
    const inner = x.shape.slice(2).reduce((p, q) => p * q, 1);
    const rx = elementReader(x);
    const rs = elementReader(scale);
    const rb = elementReader(b);
    const w = elementWriter(x.dtype, x.size);
    for (let blk = 0; blk < x.size / inner; blk++) {
      const c = blk % C;
      let mean = 0;
      for (let i = 0; i < inner; i++) mean += rx(blk * inner + i);
      mean /= inner;
      let vr = 0;
      for (let i = 0; i < inner; i++) vr += (rx(blk * inner + i) - mean) ** 2;
      vr /= inner;
      const k = 1 / Math.sqrt(vr + eps);
      for (let i = 0; i < inner; i++) w.set(blk * inner + i, (rx(blk * inner + i) - mean) * k * rs(c) + rb(c));
    }
    return [new Tensor(x.dtype, x.shape, w.data)];
  },
};

function stashType(ctx: OpContext): DType {
  const code = ctx.node.attrInt('stash_type', 1);
  const dt = dtypeFromOnnx(code);
  if (dt === undefined || !isFloatDType(dt)) throw invalid(ctx.node, `stash_type ${code} is not a float data type code`);
  return dt;
}

const LAYER_NORM: OpDef = {
  opType: 'LayerNormalization',
  infer: (ctx) => {
    const node = ctx.node;
    const x = floatInput(ctx, 0, 'X');
    const scale = requireInput(ctx, 1, 'Scale');
    const b = optionalInput(ctx, 2);
    const stash = stashType(ctx);
    const axisAttr = node.attrInt('axis', -1);
    if (x.shape === undefined) return node.outputs.map((_, i) => ({ dtype: i === 0 ? x.dtype : stash, shape: undefined }));
    const rank = x.shape.length;
    const axis = normalizeAxis(node, axisAttr, rank);
    const normShape = x.shape.slice(axis);
    checkUnidirectional(node, normShape, scale.shape, 'Scale');
    if (b !== undefined) checkUnidirectional(node, normShape, b.shape, 'B');
    const statShape = [...x.shape.slice(0, axis), ...new Array<number>(rank - axis).fill(1)];
    return node.outputs.map((_, i) => (i === 0 ? { dtype: x.dtype, shape: x.shape?.slice() } : { dtype: stash, shape: statShape.slice() }));
  },
  evaluate: (ctx, inputs) => {
    const [x, scale, b] = inputs as (Tensor | undefined)[];
    const X = x as Tensor;
    const rank = X.shape.length;
    const axis = normalizeAxis(ctx.node, ctx.node.attrInt('axis', -1), rank);
    const eps = ctx.node.attrFloat('epsilon', 1e-5);
    const stash = stashType(ctx);
    const normShape = X.shape.slice(axis);
    const inner = normShape.reduce((p, q) => p * q, 1);
    const outer = X.shape.slice(0, axis).reduce((p, q) => p * q, 1);
    const ms = broadcastIndexMap(normShape, (scale as Tensor).shape);
    const mb = b ? broadcastIndexMap(normShape, b.shape) : undefined;
    const rx = elementReader(X);
    const rs = elementReader(scale as Tensor);
    const rb = b ? elementReader(b) : undefined;
    const w = elementWriter(X.dtype, X.size);
    const wm = elementWriter(stash, outer);
    const wi = elementWriter(stash, outer);
    for (let o = 0; o < outer; o++) {
      let mean = 0;
      for (let i = 0; i < inner; i++) mean += rx(o * inner + i);
      mean /= inner;
      let vr = 0;
      for (let i = 0; i < inner; i++) vr += (rx(o * inner + i) - mean) ** 2;
      vr /= inner;
      const inv = 1 / Math.sqrt(vr + eps);
      wm.set(o, mean);
      wi.set(o, inv);
      for (let i = 0; i < inner; i++) {
        const v = (rx(o * inner + i) - mean) * inv * rs(ms[i]) + (rb && mb ? rb(mb[i]) : 0);
        w.set(o * inner + i, v);
      }
    }
    const statShape = [...X.shape.slice(0, axis), ...new Array<number>(rank - axis).fill(1)];
    const outs = [new Tensor(X.dtype, X.shape, w.data), new Tensor(stash, statShape, wm.data), new Tensor(stash, statShape, wi.data)];
    return outs.slice(0, ctx.node.outputs.length);
  },
};

/** Normalization operator definitions. */
export const NORM_OPS: readonly OpDef[] = [BATCH_NORM, INSTANCE_NORM, LAYER_NORM];
