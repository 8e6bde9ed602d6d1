/** The bundled digits models and dev split, shared by the tests that score quantized models on them. */
import * as path from 'path';
import { readNpy } from '../lib/data/npy';

export const FIX = path.resolve(__dirname, 'fixtures');
/** Path of a bundled model: digits_cnn, digits_shufflenet, digits_mobilenetv2. */
export const model = (n: string): string => path.join(FIX, 'models', `${n}.onnx`);
/** The 500 dev images at 20x20 (digits_cnn) and 32x32 (the other two). */
export const X20 = path.join(FIX, 'digits/x.npy');
export const X32 = path.join(FIX, 'digits/x32.npy');
export const labels = Array.from(readNpy(path.join(FIX, 'digits/y.npy')).data as ArrayLike<number | bigint>, Number);

/** Top-1 accuracy of the first n rows of [n, 10] logits on the dev labels. */
export function top1(logits: ArrayLike<number>, n: number): number {
  let hit = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < 10; j++) if (logits[i * 10 + j] > logits[i * 10 + best]) best = j;
    if (best === labels[i]) hit++;
  }
  return hit / n;
}
