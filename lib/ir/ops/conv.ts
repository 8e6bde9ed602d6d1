/**
 * Convolutions: Conv ([N, C, D...] * [M, C/group, k...] → [N, M, out...]) and ConvTranspose
 * ([N, C, D...] * [C, M/group, k...] → [N, M, out...]), 1-D and 2-D. Shape inference only; the
 * native engine computes them.
 */
import type { Dim } from '../graph';
import { isFloatDType } from '../tensor';
import type { InferInput, OpContext, OpDef, ValueType } from './types';
import { fmtShape, invalid, mergeDim, optionalInput, requireInput } from './util';
import { checkSpatial, readWindow, windowOutputDim } from './window';

interface ConvInputs {
  x: InferInput;
  w: InferInput;
  b: InferInput | undefined;
  rank: number | undefined;
  group: number;
}

function convInputs(ctx: OpContext): ConvInputs {
  const node = ctx.node;
  const x = requireInput(ctx, 0, 'X');
  const w = requireInput(ctx, 1, 'W');
  const b = optionalInput(ctx, 2);
  if (!isFloatDType(x.dtype)) throw invalid(node, `expected a float input X but received ${x.dtype}; quantized convolutions use ConvInteger/QLinearConv`);
  if (w.dtype !== x.dtype) throw invalid(node, `W has dtype ${w.dtype} but X has ${x.dtype}; they must match`);
  if (b !== undefined && b.dtype !== x.dtype) throw invalid(node, `B has dtype ${b.dtype} but X has ${x.dtype}; they must match`);
  const rank = x.shape?.length ?? w.shape?.length;
  if (x.shape !== undefined && w.shape !== undefined && x.shape.length !== w.shape.length) {
    throw invalid(node, `X ${fmtShape(x.shape)} and W ${fmtShape(w.shape)} must have the same rank`);
  }
  if (rank !== undefined) checkSpatial(node, rank - 2);
  const group = node.attrInt('group', 1);
  if (group < 1) throw invalid(node, `group must be >= 1 but is ${group}`);
  return { x, w, b, rank, group };
}

function weightKernel(w: InferInput): number[] | undefined {
  const ks = w.shape?.slice(2);
  return ks !== undefined && ks.every((d) => typeof d === 'number') ? (ks as number[]) : undefined;
}

function checkBias(ctx: OpContext, b: InferInput | undefined, m: Dim): void {
  if (b?.shape === undefined) return;
  if (b.shape.length !== 1) throw invalid(ctx.node, `B must be 1-D of size ${m ?? 'M'} but has shape ${fmtShape(b.shape)}`);
  mergeDim(ctx.node, b.shape[0], m, 'B must have one value per output channel');
}

const CONV: OpDef = {
  opType: 'Conv',
  infer: (ctx): ValueType[] => {
    const node = ctx.node;
    const { x, w, b, rank, group } = convInputs(ctx);
    if (rank === undefined) return [{ dtype: x.dtype, shape: undefined }];
    const spatial = rank - 2;
    const win = readWindow(node, spatial, weightKernel(w));
    const xs = x.shape ?? new Array<Dim>(rank).fill(undefined);
    const ws = w.shape ?? new Array<Dim>(rank).fill(undefined);
    const m = ws[0];
    const cw = ws[1];
    if (typeof m === 'number' && m % group !== 0) throw invalid(node, `W has ${m} output channels, not a multiple of group ${group}`);
    if (typeof xs[1] === 'number' && typeof cw === 'number' && xs[1] !== cw * group) {
      throw invalid(node, `X has ${xs[1]} channels but W ${fmtShape(ws)} with group ${group} expects ${cw * group}`);
    }
    for (let i = 0; i < spatial; i++) {
      const k = ws[2 + i];
      if (typeof k === 'number' && k !== win.kernel[i]) throw invalid(node, `kernel_shape [${win.kernel.join(',')}] does not match W ${fmtShape(ws)}`);
    }
    checkBias(ctx, b, m);
    const out: Dim[] = [xs[0], m];
    for (let i = 0; i < spatial; i++) out.push(windowOutputDim(node, win, i, xs[2 + i]));
    return [{ dtype: x.dtype, shape: out }];
  },
};

const CONV_TRANSPOSE: OpDef = {
  opType: 'ConvTranspose',
  infer: (ctx): ValueType[] => {
    const node = ctx.node;
    const { x, w, b, rank, group } = convInputs(ctx);
    if (rank === undefined) return [{ dtype: x.dtype, shape: undefined }];
    const spatial = rank - 2;
    const win = readWindow(node, spatial, weightKernel(w));
    const xs = x.shape ?? new Array<Dim>(rank).fill(undefined);
    const ws = w.shape ?? new Array<Dim>(rank).fill(undefined);
    if (typeof xs[1] === 'number' && typeof ws[0] === 'number' && xs[1] !== ws[0]) {
      throw invalid(node, `X has ${xs[1]} channels but W ${fmtShape(ws)} expects ${ws[0]} (W is [C, M/group, k...])`);
    }
    const m: Dim = typeof ws[1] === 'number' ? ws[1] * group : undefined;
    checkBias(ctx, b, m);
    const outPad = node.attrInts('output_padding', new Array<number>(spatial).fill(0));
    if (outPad.length !== spatial) throw invalid(node, `output_padding must have ${spatial} values but has ${outPad.length}`);
    for (let i = 0; i < spatial; i++) {
      if (outPad[i] >= Math.max(win.strides[i], win.dilations[i])) {
        throw invalid(node, `output_padding[${i}] = ${outPad[i]} must be smaller than the stride or dilation`);
      }
    }
    const out: Dim[] = [xs[0], m];
    if (node.has('output_shape')) {
      const os = node.attrInts('output_shape');
      if (os.length !== spatial && os.length !== rank) {
        throw invalid(node, `output_shape [${os.join(',')}] must have ${spatial} values (one per spatial dim)`);
      }
      out.push(...os.slice(os.length - spatial));
      return [{ dtype: x.dtype, shape: out }];
    }
    for (let i = 0; i < spatial; i++) {
      const d = xs[2 + i];
      if (typeof d !== 'number') {
        out.push(undefined);
        continue;
      }
      const ek = (win.kernel[i] - 1) * win.dilations[i] + 1;
      let o: number;
      if (win.autoPad === 'SAME_UPPER' || win.autoPad === 'SAME_LOWER') o = d * win.strides[i];
      else {
        const pads = win.autoPad === 'VALID' ? 0 : win.pads[i] + win.pads[i + spatial];
        o = win.strides[i] * (d - 1) + outPad[i] + ek - pads;
      }
      if (o < 1) throw invalid(node, `spatial dim ${i} gets output size ${o}; reduce the pads`);
      out.push(o);
    }
    return [{ dtype: x.dtype, shape: out }];
  },
};

/** Convolution operator definitions. */
export const CONV_OPS: readonly OpDef[] = [CONV, CONV_TRANSPOSE];
