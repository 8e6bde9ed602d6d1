/**
 * Resize (opset 10: scales; 11/13: roi, scales or sizes; 18: axes and keep_aspect_ratio_policy) and
 * Upsample (opset 7: scales attribute; 9: scales input). Shape inference only (every mode, including
 * cubic, since the shape needs only scales or sizes); the native engine computes the pixels.
 */
import type { Dim } from '../graph';
import { isFloatDType } from '../tensor';
import { elementReader } from './numeric';
import type { InferInput, OpContext, OpDef, ValueType } from './types';
import { fmtShape, invalid, normalizeAxes, optionalInput, requireInput, shapeValues } from './util';

const MODES = ['nearest', 'linear', 'cubic'];
const COORD_MODES = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize'];
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

function checkEnum(ctx: OpContext, name: string, def: string, allowed: string[]): string {
  const v = ctx.node.attrString(name, def);
  if (!allowed.includes(v)) throw invalid(ctx.node, `${name} "${v}" is not one of ${allowed.join(', ')}`);
  return v;
}

/** Output dim for a scale, as onnxruntime computes it: trunc(float(scale) * float(dim)). */
export function scaledDim(d: Dim, scale: number): Dim {
  if (typeof d !== 'number') return scale === 1 ? d : undefined;
  return Math.floor(Math.fround(Math.fround(scale) * Math.fround(d)));
}

/** True when an input is given and non-empty (an empty tensor marks "not used" in opset 11). */
function provided(x: InferInput | undefined): boolean | undefined {
  if (x === undefined) return false;
  if (x.value !== undefined) return x.value.size > 0;
  const n = x.shape?.[0];
  if (n === 0) return false;
  return n === undefined ? undefined : true;
}

function floatValues(x: InferInput | undefined): number[] | undefined {
  if (x?.value === undefined) return undefined;
  const r = elementReader(x.value);
  return Array.from({ length: x.value.size }, (_, i) => r(i));
}

function scaleShape(ctx: OpContext, shape: readonly Dim[], axes: number[], scales: number[] | undefined): Dim[] {
  if (scales !== undefined && scales.length !== axes.length) {
    throw invalid(ctx.node, `scales has ${scales.length} values but must have ${axes.length} (one per ${axes.length === shape.length ? 'input dim' : 'axis'})`);
  }
  if (scales?.some((s) => !(s > 0))) throw invalid(ctx.node, `scales [${scales.join(',')}] must all be > 0`);
  const out = shape.slice();
  axes.forEach((a, i) => {
    out[a] = scales === undefined ? undefined : scaledDim(shape[a], scales[i]);
  });
  return out;
}

function sizesShape(ctx: OpContext, shape: readonly Dim[], axes: number[], sizes: Dim[] | undefined): Dim[] {
  const node = ctx.node;
  const out = shape.slice();
  if (sizes === undefined) {
    for (const a of axes) out[a] = undefined;
    return out;
  }
  if (sizes.length !== axes.length) throw invalid(node, `sizes has ${sizes.length} values but must have ${axes.length}`);
  const policy = ctx.opset >= 18 ? checkEnum(ctx, 'keep_aspect_ratio_policy', 'stretch', ['stretch', 'not_larger', 'not_smaller']) : 'stretch';
  if (policy === 'stretch') {
    axes.forEach((a, i) => {
      out[a] = sizes[i];
    });
    return out;
  }
  const ins = axes.map((a) => shape[a]);
  if (!sizes.every((s) => typeof s === 'number') || !ins.every((d) => typeof d === 'number')) {
    for (const a of axes) out[a] = undefined;
    return out;
  }
  const ratios = (sizes as number[]).map((s, i) => s / (ins[i] as number));
  const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  axes.forEach((a, i) => {
    out[a] = Math.floor(scale * (ins[i] as number) + 0.5);
  });
  return out;
}

const RESIZE: OpDef = {
  opType: 'Resize',
  infer: (ctx): ValueType[] => {
    const node = ctx.node;
    const x = requireInput(ctx, 0, 'X');
    checkEnum(ctx, 'mode', 'nearest', MODES);
    if (ctx.opset >= 11) {
      checkEnum(ctx, 'coordinate_transformation_mode', 'half_pixel', COORD_MODES);
      checkEnum(ctx, 'nearest_mode', 'round_prefer_floor', NEAREST_MODES);
    }
    const scalesIn = optionalInput(ctx, ctx.opset < 11 ? 1 : 2);
    const sizesIn = ctx.opset < 11 ? undefined : optionalInput(ctx, 3);
    if (ctx.opset < 11) requireInput(ctx, 1, 'scales');
    if (scalesIn !== undefined && !isFloatDType(scalesIn.dtype)) throw invalid(node, `scales must be float but are ${scalesIn.dtype}`);
    if (sizesIn !== undefined && sizesIn.dtype !== 'int64') throw invalid(node, `sizes must be int64 but are ${sizesIn.dtype}`);
    const hasScales = provided(scalesIn);
    const hasSizes = provided(sizesIn);
    if (hasScales === true && hasSizes === true) throw invalid(node, 'has both scales and sizes; give only one of them');
    if (hasScales === false && hasSizes === false) throw invalid(node, 'needs either scales or sizes');
    if (x.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    const rank = x.shape.length;
    const axes = ctx.opset >= 18 && node.has('axes')
      ? normalizeAxes(node, node.attrInts('axes'), rank)
      : Array.from({ length: rank }, (_, i) => i);
    if (hasScales === true) return [{ dtype: x.dtype, shape: scaleShape(ctx, x.shape, axes, floatValues(scalesIn)) }];
    if (hasSizes === true) return [{ dtype: x.dtype, shape: sizesShape(ctx, x.shape, axes, shapeValues(ctx, 3, 'sizes')) }];
    return [{ dtype: x.dtype, shape: x.shape.map(() => undefined) }];
  },
};

const UPSAMPLE: OpDef = {
  opType: 'Upsample',
  infer: (ctx) => {
    const node = ctx.node;
    const x = requireInput(ctx, 0, 'X');
    const mode = node.attrString('mode', 'nearest');
    if (!['nearest', 'linear', 'bilinear'].includes(mode)) throw invalid(node, `mode "${mode}" is not one of nearest, linear`);
    let scales: number[] | undefined;
    if (ctx.opset < 9) scales = node.attrFloats('scales');
    else {
      const s = requireInput(ctx, 1, 'scales');
      if (!isFloatDType(s.dtype)) throw invalid(node, `scales must be float but are ${s.dtype}`);
      scales = floatValues(s);
    }
    if (x.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    if (scales !== undefined && scales.length !== x.shape.length) {
      throw invalid(node, `scales [${scales.join(',')}] must have one value per dim of X ${fmtShape(x.shape)}`);
    }
    return [{ dtype: x.dtype, shape: scaleShape(ctx, x.shape, x.shape.map((_, i) => i), scales) }];
  },
};

/** Resizing operator definitions. */
export const RESIZE_OPS: readonly OpDef[] = [RESIZE, UPSAMPLE];
