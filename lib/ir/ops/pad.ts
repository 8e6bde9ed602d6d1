/**
 * Pad: pads as attribute before opset 11 and as input after (with optional constant_value and, from
 * opset 18, axes), modes constant / reflect / edge / wrap; negative pads crop. Folds at compile time.
 */
import type { Dim } from '../graph';
import { allocStorage, Tensor } from '../tensor';
import { tensorFromValues } from './numeric';
import type { OpContext, OpDef } from './types';
import { attrIntsOpt, constInts, fmtShape, invalid, normalizeAxes, optionalInput, requireInput, stridesOf } from './util';

type Mode = 'constant' | 'reflect' | 'edge' | 'wrap';

function padMode(ctx: OpContext): Mode {
  const m = ctx.node.attrString('mode', 'constant');
  if (m !== 'constant' && m !== 'reflect' && m !== 'edge' && m !== 'wrap') {
    throw invalid(ctx.node, `mode "${m}" is not one of constant, reflect, edge, wrap`);
  }
  return m;
}

/** Per-dim [begin, end] pads (length 2*rank), or undefined when not constant. */
function padsOf(ctx: OpContext, rank: number): number[] | undefined {
  const node = ctx.node;
  let pads: number[] | undefined;
  let axes: number[] | undefined;
  if (ctx.opset < 11) {
    pads = attrIntsOpt(node, 'pads') ?? attrIntsOpt(node, 'paddings');
    if (pads === undefined) throw invalid(node, 'is missing its required attribute "pads"');
  } else {
    requireInput(ctx, 1, 'pads');
    pads = constInts(ctx, 1, 'pads');
    if (pads === undefined) return undefined;
    if (ctx.opset >= 18 && optionalInput(ctx, 3) !== undefined) {
      axes = constInts(ctx, 3, 'axes');
      if (axes === undefined) return undefined;
    }
  }
  if (axes === undefined) {
    if (pads.length !== 2 * rank) throw invalid(node, `pads has ${pads.length} values but must have ${2 * rank} (begins then ends for each of the ${rank} dims)`);
    return pads;
  }
  const ax = normalizeAxes(node, axes, rank);
  if (pads.length !== 2 * ax.length) throw invalid(node, `pads has ${pads.length} values but must have ${2 * ax.length} for axes [${axes.join(',')}]`);
  const full = new Array<number>(2 * rank).fill(0);
  ax.forEach((a, i) => {
    full[a] = pads[i];
    full[a + rank] = pads[i + ax.length];
  });
  return full;
}

function paddedShape(ctx: OpContext, shape: readonly Dim[], pads: number[]): Dim[] {
  const rank = shape.length;
  return shape.map((d, i) => {
    const p = pads[i] + pads[i + rank];
    if (typeof d !== 'number') return p === 0 ? d : undefined;
    const o = d + p;
    if (o < 0) throw invalid(ctx.node, `pads [${pads.join(',')}] crop dim ${i} of ${fmtShape(shape)} below zero`);
    return o;
  });
}

/** Source coordinate for output coordinate `o` of a dim of size `d` padded by `pb` at the start; -1 = fill. */
function sourceCoord(mode: Mode, o: number, d: number, pb: number): number {
  const c = o - pb;
  if (c >= 0 && c < d) return c;
  switch (mode) {
    case 'constant': return -1;
    case 'edge': return c < 0 ? 0 : d - 1;
    case 'wrap': return ((c % d) + d) % d;
    case 'reflect': {
      if (d === 1) return 0;
      const p = 2 * (d - 1);
      const m = ((c % p) + p) % p;
      return m >= d ? p - m : m;
    }
  }
}

const PAD: OpDef = {
  opType: 'Pad',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'data');
    padMode(ctx);
    const cv = optionalInput(ctx, 2);
    if (ctx.opset >= 11 && cv !== undefined && cv.dtype !== x.dtype) {
      throw invalid(ctx.node, `constant_value has dtype ${cv.dtype} but data has ${x.dtype}`);
    }
    if (x.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    const pads = padsOf(ctx, x.shape.length);
    if (pads === undefined) return [{ dtype: x.dtype, shape: x.shape.map(() => undefined) }];
    return [{ dtype: x.dtype, shape: paddedShape(ctx, x.shape, pads) }];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    const mode = padMode(ctx);
    const rank = x.shape.length;
    const pads = padsOf(ctx, rank) as number[];
    const shape = paddedShape(ctx, x.shape, pads) as number[];
    if (mode !== 'constant' && x.size === 0 && shape.some((d) => d > 0)) {
      throw invalid(ctx.node, `cannot ${mode}-pad an empty tensor`);
    }
    const st = stridesOf(x.shape);
    let offsets = [0];
    for (let k = 0; k < rank; k++) {
      const src = Array.from({ length: shape[k] }, (_, o) => sourceCoord(mode, o, x.shape[k], pads[k]));
      const next: number[] = [];
      for (const p of offsets) for (const s of src) next.push(p < 0 || s < 0 ? -1 : p + s * st[k]);
      offsets = next;
    }
    let fill: Tensor | undefined;
    if (ctx.opset < 11) fill = tensorFromValues(x.dtype, [], [ctx.node.attrFloat('value', 0)]);
    else if (inputs[2] !== undefined) fill = inputs[2];
    const out = allocStorage(x.dtype, offsets.length);
    const o = out as unknown as unknown[];
    const d = x.data as unknown as unknown[];
    const fv = fill === undefined ? undefined : (fill.data as unknown as unknown[])[0];
    for (let i = 0; i < offsets.length; i++) {
      if (offsets[i] >= 0) o[i] = d[offsets[i]];
      else if (fv !== undefined) o[i] = fv;
    }
    return [new Tensor(x.dtype, shape, out)];
  },
};

/** Pad operator definition. */
export const PAD_OPS: readonly OpDef[] = [PAD];
