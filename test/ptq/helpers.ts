/**
 * Shared helpers of the PTQ tests: the bundled digits models and dev split, top-1, output cosine
 * and max |error| against the float model, and a float-equivalence check of graph rewrites.
 */
import * as path from 'path';
import { readNpy } from '../../lib/data/npy';
import { Model } from '../../lib/ir/graph';
import type { Tensor } from '../../lib/ir/tensor';
import { loadModel } from '../../lib/io/onnx';
import { optimizedForQuantization } from '../../lib/quantize/quantize';
import type { QuantizedModel } from '../../lib/quantize/quantized-model';
import { Session } from '../../lib/runtime/session';

export const FIX = path.resolve(__dirname, '../fixtures');
export const modelPath = (n: string): string => path.join(FIX, 'models', `${n}.onnx`);
/** Dev split inputs: 20x20 for digits_cnn, 32x32 for the others. */
export const dataPath = (n: string): string => path.join(FIX, 'digits', n === 'digits_cnn' ? 'x.npy' : 'x32.npy');
export const labels: number[] = Array.from(readNpy(path.join(FIX, 'digits/y.npy')).data as ArrayLike<number>, Number);

export function input(n: string): Tensor {
  return readNpy(dataPath(n));
}

/** Top-1 over samples [from, to) of [N, 10] logits. */
export function top1(logits: ArrayLike<number>, from = 0, to = labels.length): number {
  let hit = 0;
  for (let i = from; i < to; i++) {
    let best = 0;
    for (let j = 1; j < 10; j++) if (logits[i * 10 + j] > logits[i * 10 + best]) best = j;
    if (best === labels[i]) hit++;
  }
  return hit / (to - from);
}

/** Cosine (double precision) and max |a - b|. */
export function agree(a: ArrayLike<number>, b: ArrayLike<number>): { cosine: number; maxAbs: number } {
  let ab = 0, aa = 0, bb = 0, maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
    maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
  }
  return { cosine: ab / Math.sqrt(aa * bb), maxAbs };
}

/** Logits of a float model on the whole dev split. */
export async function floatLogits(m: Model | string, x: Tensor): Promise<Float32Array> {
  const s = await Session.create(m, { fuse: false });
  try {
    return (await s.run({ input: x })).logits.data as Float32Array;
  } finally {
    s.dispose();
  }
}

/** The optimized float model quantize() starts from (BatchNormalization folded). */
export async function optimized(n: string): Promise<Model> {
  return optimizedForQuantization(await loadModel(modelPath(n)));
}

/** A model around a copy of `m`'s graph. */
export function copy(m: Model): Model {
  const c = new Model(m.graph.clone());
  c.irVersion = m.irVersion;
  return c;
}

export interface Scores {
  top1: number;
  /** Top-1 on the samples not used for calibration. */
  heldOut: number;
  cosine: number;
  maxAbs: number;
}

/** Scores of a quantized model on the dev split against reference float logits. */
export async function score(qm: QuantizedModel, x: Tensor, ref: ArrayLike<number>, calibrated: number): Promise<Scores> {
  const q = (await qm.run({ input: x })).logits.data as Float32Array;
  return { top1: top1(q), heldOut: top1(q, calibrated), ...agree(ref, q) };
}

export function row(label: string, s: Scores, ms?: number): string {
  return `${label.padEnd(34)} top-1 ${s.top1.toFixed(3)} (held-out ${s.heldOut.toFixed(3)})  cosine ${s.cosine.toFixed(6)}` +
    `${ms !== undefined ? `  ${(ms / 1000).toFixed(1)} s` : ''}`;
}
