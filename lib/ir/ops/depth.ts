/**
 * DepthToSpace (DCR and, from opset 11, CRD modes) and SpaceToDepth on [N, C, H, W] tensors. Both are
 * a reshape-transpose-reshape and fold at compile time.
 */
import type { Dim } from '../graph';
import { Tensor } from '../tensor';
import type { OpContext, OpDef } from './types';
import { fmtShape, gatherTensor, invalid, requireInput, stridesOf, strideIndexMap } from './util';

function blockSize(ctx: OpContext): number {
  const b = ctx.node.attrInt('blocksize');
  if (b < 1) throw invalid(ctx.node, `blocksize must be >= 1 but is ${b}`);
  return b;
}

function check4d(ctx: OpContext, shape: readonly Dim[] | undefined): void {
  if (shape !== undefined && shape.length !== 4) throw invalid(ctx.node, `input must be 4-D [N, C, H, W] but has shape ${fmtShape(shape)}`);
}

/** Transposes `x` viewed as `view` by `perm` into `outShape`. */
function permute(x: Tensor, view: number[], perm: number[], outShape: number[]): Tensor {
  const st = stridesOf(view);
  return gatherTensor(x, outShape, strideIndexMap(perm.map((p) => view[p]), perm.map((p) => st[p])));
}

const DEPTH_TO_SPACE: OpDef = {
  opType: 'DepthToSpace',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'input');
    const b = blockSize(ctx);
    if (ctx.opset >= 11) {
      const mode = ctx.node.attrString('mode', 'DCR');
      if (mode !== 'DCR' && mode !== 'CRD') throw invalid(ctx.node, `mode "${mode}" is not DCR or CRD`);
    }
    check4d(ctx, x.shape);
    if (x.shape === undefined) return [{ dtype: x.dtype, shape: [undefined, undefined, undefined, undefined] }];
    const [n, c, h, w] = x.shape;
    if (typeof c === 'number' && c % (b * b) !== 0) throw invalid(ctx.node, `channels ${c} are not divisible by blocksize^2 = ${b * b}`);
    const mul = (d: Dim): Dim => (typeof d === 'number' ? d * b : b === 1 ? d : undefined);
    return [{ dtype: x.dtype, shape: [n, typeof c === 'number' ? c / (b * b) : b === 1 ? c : undefined, mul(h), mul(w)] }];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    const b = blockSize(ctx);
    const [n, c, h, w] = x.shape;
    const cc = c / (b * b);
    const out = [n, cc, h * b, w * b];
    const crd = ctx.opset >= 11 && ctx.node.attrString('mode', 'DCR') === 'CRD';
    return [crd
      ? permute(x, [n, cc, b, b, h, w], [0, 1, 4, 2, 5, 3], out)
      : permute(x, [n, b, b, cc, h, w], [0, 3, 4, 1, 5, 2], out)];
  },
};

const SPACE_TO_DEPTH: OpDef = {
  opType: 'SpaceToDepth',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'input');
    const b = blockSize(ctx);
    check4d(ctx, x.shape);
    if (x.shape === undefined) return [{ dtype: x.dtype, shape: [undefined, undefined, undefined, undefined] }];
    const [n, c, h, w] = x.shape;
    const div = (d: Dim, what: string): Dim => {
      if (typeof d !== 'number') return b === 1 ? d : undefined;
      if (d % b !== 0) throw invalid(ctx.node, `${what} ${d} is not divisible by blocksize ${b}`);
      return d / b;
    };
    return [{ dtype: x.dtype, shape: [n, typeof c === 'number' ? c * b * b : b === 1 ? c : undefined, div(h, 'height'), div(w, 'width')] }];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    const b = blockSize(ctx);
    const [n, c, h, w] = x.shape;
    return [permute(x, [n, c, h / b, b, w / b, b], [0, 3, 5, 1, 2, 4], [n, c * b * b, h / b, w / b])];
  },
};

/** Depth/space rearrangement operator definitions. */
export const DEPTH_OPS: readonly OpDef[] = [DEPTH_TO_SPACE, SPACE_TO_DEPTH];
