/**
 * Sliding-window arithmetic shared by Conv, ConvTranspose and the pooling operators: reading
 * kernel_shape / strides / dilations / pads / auto_pad, and the output size of each spatial dim
 * (keeping a symbolic dim when the window maps it onto itself).
 */
import type { Dim, Node } from '../graph';
import { invalid, unsupported } from './util';

/** ONNX auto_pad modes. */
export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

/** Resolved window attributes of one Conv / pool node. */
export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin_0, begin_1, ..., end_0, end_1, ...] as in ONNX. */
  pads: number[];
  autoPad: AutoPad;
  ceilMode: boolean;
}

/** Largest number of spatial dims the native engine handles. */
export const MAX_SPATIAL = 2;

/** Throws UNSUPPORTED for more than 2 spatial dims and INVALID_MODEL for none. */
export function checkSpatial(node: Node, spatial: number): void {
  if (spatial < 1) throw invalid(node, `expects an input of rank >= 3 ([N, C, D1, ...]) but received rank ${spatial + 2}`);
  if (spatial > MAX_SPATIAL) {
    throw unsupported(node, `has ${spatial} spatial dimensions; npuquant handles 1-D and 2-D convolutions and pools only (export the model with 2-D layers)`);
  }
}

/** Reads the window attributes for `spatial` dims; `kernel` comes from kernel_shape or the weights. */
export function readWindow(node: Node, spatial: number, kernel: number[] | undefined, opts: { dilations?: boolean; ceil?: boolean } = {}): Window {
  const ks = node.has('kernel_shape') ? node.attrInts('kernel_shape') : kernel;
  if (ks === undefined) throw invalid(node, 'needs kernel_shape (or weights of known shape) to infer its output');
  const check = (name: string, v: number[], len: number, min: number): number[] => {
    if (v.length !== len) throw invalid(node, `${name} has ${v.length} values but must have ${len} (one per spatial dim${name === 'pads' ? ', begins then ends' : ''})`);
    if (v.some((x) => !Number.isInteger(x) || x < min)) throw invalid(node, `${name} [${v.join(',')}] must hold integers >= ${min}`);
    return v;
  };
  check('kernel_shape', ks, spatial, 1);
  const strides = check('strides', node.attrInts('strides', new Array<number>(spatial).fill(1)), spatial, 1);
  const dilations = opts.dilations === false
    ? new Array<number>(spatial).fill(1)
    : check('dilations', node.attrInts('dilations', new Array<number>(spatial).fill(1)), spatial, 1);
  const autoPad = node.attrString('auto_pad', 'NOTSET') as AutoPad;
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPad)) {
    throw invalid(node, `auto_pad "${autoPad}" is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  let pads = new Array<number>(2 * spatial).fill(0);
  if (node.has('pads')) {
    if (autoPad !== 'NOTSET') {
      // onnxruntime ignores explicit pads when auto_pad is set; the spec forbids using both.
      pads = check('pads', node.attrInts('pads'), 2 * spatial, 0).map(() => 0);
    } else {
      pads = check('pads', node.attrInts('pads'), 2 * spatial, 0);
    }
  }
  const ceilMode = opts.ceil === true && node.attrInt('ceil_mode', 0) === 1;
  return { kernel: ks.slice(), strides, dilations, pads, autoPad, ceilMode };
}

/** Effective kernel extent of spatial dim i: (k - 1) * d + 1. */
export function extent(w: Window, i: number): number {
  return (w.kernel[i] - 1) * w.dilations[i] + 1;
}

/** Output size of spatial dim i for a convolution / pooling window. */
export function windowOutputDim(node: Node, w: Window, i: number, input: Dim): Dim {
  const s = w.strides[i];
  const ek = extent(w, i);
  const spatial = w.kernel.length;
  const padTotal = w.pads[i] + w.pads[i + spatial];
  if (typeof input !== 'number') {
    if (s !== 1) return undefined;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return input;
    if (w.autoPad === 'VALID') return ek === 1 ? input : undefined;
    return padTotal === ek - 1 ? input : undefined;
  }
  let out: number;
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') {
    out = Math.ceil(input / s);
  } else if (w.autoPad === 'VALID') {
    out = Math.floor((input - ek) / s) + 1;
  } else {
    const span = input + padTotal - ek;
    if (w.ceilMode) {
      out = Math.ceil(span / s) + 1;
      // The last window must start inside the input or its leading padding (onnxruntime, PyTorch).
      if ((out - 1) * s >= input + w.pads[i]) out--;
    } else {
      out = Math.floor(span / s) + 1;
    }
  }
  if (out < 1) {
    throw invalid(node, `spatial dim ${i} of size ${input} is too small for a window of extent ${ek} with pads ${w.pads[i]}+${w.pads[i + spatial]} (output size ${out}); use a larger input`);
  }
  return out;
}

/** Pads actually applied for SAME_* auto_pad on a concrete input (begin, end). */
export function samePads(w: Window, i: number, input: number): [number, number] {
  const out = Math.ceil(input / w.strides[i]);
  const total = Math.max(0, (out - 1) * w.strides[i] + extent(w, i) - input);
  const small = Math.floor(total / 2);
  return w.autoPad === 'SAME_LOWER' ? [total - small, small] : [small, total - small];
}
