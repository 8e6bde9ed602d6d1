/**
 * Top-k comparison of classifier outputs: float vs quantized class ranking per sample.
 */
import type { TopKEntry } from './types';

/** Indices and scores of the k largest values of `v` (ties: the lower index first). */
export function topK(v: ArrayLike<number>, k: number): TopKEntry[] {
  const idx = Array.from({ length: v.length }, (_, i) => i);
  idx.sort((a, b) => (v[b] - v[a]) || a - b);
  return idx.slice(0, k).map((index) => ({ index, score: v[index] }));
}

/** Running top-1 / top-5 agreement of a [items, classes] output, plus the top-5 lists of the first samples. */
export class TopKAccumulator {
  private items = 0;
  private top1 = 0;
  private top5 = 0;
  readonly samples: { sample: number; float: TopKEntry[]; quantized: TopKEntry[] }[] = [];

  constructor(readonly classes: number, private readonly keep: number) {}

  /** Adds a batch: `f` and `q` hold `items` rows of `classes` values each. */
  add(f: ArrayLike<number>, q: ArrayLike<number>, items: number): void {
    const c = this.classes;
    for (let i = 0; i < items; i++) {
      const rf = Array.prototype.slice.call(f, i * c, (i + 1) * c) as number[];
      const rq = Array.prototype.slice.call(q, i * c, (i + 1) * c) as number[];
      const tf = topK(rf, Math.min(5, c)), tq = topK(rq, Math.min(5, c));
      if (tf[0].index === tq[0].index) this.top1++;
      if (tq.some((e) => e.index === tf[0].index)) this.top5++;
      if (this.samples.length < this.keep) this.samples.push({ sample: this.items, float: tf, quantized: tq });
      this.items++;
    }
  }

  result(): { top1_agreement: number; top5_agreement: number } {
    return { top1_agreement: this.items ? this.top1 / this.items : 0, top5_agreement: this.items ? this.top5 / this.items : 0 };
  }
}
