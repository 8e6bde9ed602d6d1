/**
 * A hand-built, realistic Analysis object for the report tests: a small classifier of 10 layers whose
 * names hold characters that break naive writers (< > & quotes | backticks * _ , newline, a closing
 * script tag, non-ASCII), one flagged layer, one layer running in float (individual null), one
 * layer with zero individual noise (sqnr_db null), outputs with top-5 printouts, weights, outliers.
 */
import type { Analysis, ErrorMetrics, Histogram, LayerAnalysis, ValueStats } from '../../lib/analyze/types';

/** A 32-bin bell-shaped histogram over [lo, hi] holding `total` values, centred at `centre` (0..1). */
export function bell(lo: number, hi: number, total: number, centre = 0.5, width = 0.18): Histogram {
  const w = Array.from({ length: 32 }, (_, i) => Math.exp(-0.5 * (((i + 0.5) / 32 - centre) / width) ** 2));
  const s = w.reduce((a, b) => a + b, 0);
  return { lo, hi, counts: w.map((x) => Math.round((x / s) * total)) };
}

function stats(min: number, max: number, total: number, centre?: number): ValueStats {
  return { min, max, histogram: bell(min, max, total, centre) };
}

/** Error metrics consistent with a cosine and a noise:signal ratio on a tensor of `n` elements and signal power `p` per element. */
export function metrics(cosine: number, nsr: number, n: number, p = 1): ErrorMetrics {
  const mse = nsr * p;
  return {
    cosine,
    sqnr_db: nsr === 0 ? null : 10 * Math.log10(1 / nsr) + 0.0123,
    noise_signal_ratio: nsr,
    mse,
    max_abs: Math.sqrt(mse) * 4.1,
    euclidean: Math.sqrt(mse * n),
  };
}

export const NASTY = {
  stem: 'stem/conv<1>&"x"',
  dw: "block1|dw 'conv'",
  add: 'add_`res`*2*',
  sig: '</script><script>document.title="pwned"</script>',
  cjk: '層_unicode, comma',
  newline: 'multi\nline',
};

interface L {
  name: string;
  op: string;
  output: string;
  shape: number[];
  ind: [number, number] | null;
  cum: [number, number];
  execution?: string;
  dtype?: string;
}

const SPEC: L[] = [
  { name: NASTY.stem, op: 'Conv', output: 'stem_out', shape: [2, 16, 8, 8], ind: [0.99981, 0.00041], cum: [0.99981, 0.00041] },
  { name: 'relu_1', op: 'Relu', output: 'relu_1:0', shape: [2, 16, 8, 8], ind: [0.99995, 0.00012], cum: [0.99978, 0.00047] },
  { name: NASTY.dw, op: 'Conv', output: 'dw_out', shape: [2, 16, 8, 8], ind: [0.96213, 0.1487], cum: [0.95802, 0.1712] },
  { name: NASTY.add, op: 'Add', output: 'res<out>', shape: [2, 16, 8, 8], ind: [0.99902, 0.0021], cum: [0.97120, 0.0588] },
  { name: NASTY.sig, op: 'Sigmoid', output: 'sig&out', shape: [2, 16, 8, 8], ind: [1, 0], cum: [0.97655, 0.0470], execution: 'lut' },
  { name: 'pool', op: 'GlobalAveragePool', output: 'pooled', shape: [2, 16, 1, 1], ind: [0.99999, 0.00002], cum: [0.98801, 0.0241] },
  { name: NASTY.cjk, op: 'Flatten', output: 'flat', shape: [2, 16], ind: [1, 0], cum: [0.98801, 0.0241] },
  { name: 'fc/Gemm', op: 'Gemm', output: 'fc_out', shape: [2, 10], ind: [0.99871, 0.0026], cum: [0.98530, 0.0297] },
  { name: NASTY.newline, op: 'Softmax', output: 'prob', shape: [2, 10], ind: null, cum: [0.98530, 0.0297], execution: 'float', dtype: 'float32' },
  { name: 'argmax_head', op: 'Identity', output: 'logits', shape: [2, 10], ind: [1, 0], cum: [0.98530, 0.0297] },
];

function layer(s: L, i: number, prevCum: number, input: string): LayerAnalysis {
  const n = s.shape.slice(1).reduce((a, b) => a * b, 1);
  const total = s.shape.reduce((a, b) => a * b, 1);
  const fmin = -1.5 - i * 0.25;
  const fmax = 3.25 + i * 0.5;
  const flagged = s.name === NASTY.dw;
  return {
    name: s.name,
    op: s.op,
    output: s.output,
    shape: s.shape,
    dtype: s.dtype ?? 'int8',
    execution: s.execution ?? 'integer',
    index: i,
    inputs: [input],
    individual: s.ind ? metrics(s.ind[0], s.ind[1], n) : null,
    cumulative: metrics(s.cum[0], s.cum[1], n, 1.7),
    float: stats(fmin, fmax, total, 0.4),
    quantized: stats(flagged ? fmin * 0.6 : fmin, flagged ? fmax * 0.55 : fmax, total, flagged ? 0.47 : 0.4),
    cumulative_drop: prevCum - s.cum[0],
    flags: flagged
      ? [
        { code: 'individual_cosine', reason: 'individual cosine 0.962 < 0.99', action: 'run this layer in int16' },
        { code: 'noise_signal', reason: 'individual noise:signal 0.1487 > 0.1', action: 'run this layer in int16' },
        { code: 'cumulative_drop', reason: 'cumulative cosine drops by 0.0418 > 0.01 at this layer', action: 'run this layer in int16' },
      ]
      : [],
  };
}

/** The fixture. `patch` overrides top-level fields. */
export function makeAnalysis(patch: Partial<Analysis> = {}): Analysis {
  let prev = 1;
  const layers = SPEC.map((s, i) => {
    const l = layer(s, i, prev, i === 0 ? 'images' : SPEC[i - 1].output);
    prev = s.cum[0];
    return l;
  });
  return {
    schema: 'npuquant.analysis/1',
    model: 'tiny <cls>&"net".onnx',
    target: 'rk3588',
    samples: 2,
    calibration: { method: 'kl', perChannel: false },
    thresholds: { individualCosine: 0.99, noiseSignal: 0.1, cumulativeDrop: 0.01, outlierShare: 0.05, weightRatio: 8 },
    layers,
    outputs: [
      {
        name: 'logits', shape: [2, 10], cosine: 0.9853, sqnr_db: 15.27, noise_signal_ratio: 0.0297, mse: 0.0505, max_abs: 0.4123,
        top1_agreement: 1, top5_agreement: 1,
        top5: [
          { sample: 0, float: [{ index: 3, score: 7.25 }, { index: 8, score: 4.5 }, { index: 5, score: 2.125 }, { index: 0, score: 1.03125 }, { index: 9, score: -0.5 }],
            quantized: [{ index: 3, score: 7.0 }, { index: 8, score: 4.75 }, { index: 0, score: 1.5 }, { index: 5, score: 1.25 }, { index: 9, score: -0.25 }] },
          { sample: 1, float: [{ index: 7, score: 9.5 }, { index: 1, score: 3.0 }, { index: 2, score: 0.0625 }, { index: 4, score: -1.5 }, { index: 6, score: -2.0 }],
            quantized: [{ index: 7, score: 9.25 }, { index: 1, score: 3.25 }, { index: 2, score: 0.25 }, { index: 4, score: -1.25 }, { index: 6, score: -2.25 }] },
        ],
      },
      { name: 'aux|head', shape: [2, 1], cosine: 0.9999, sqnr_db: null, noise_signal_ratio: 0, mse: 0, max_abs: 0 },
    ],
    weights: [
      { layer: NASTY.stem, tensor: 'stem.weight', channels: 16, min: -2.31, max: 1.97, channel_absmax_max: 2.31, channel_absmax_median: 0.412, ratio: 5.607 },
      { layer: NASTY.dw, tensor: 'dw.weight<&>', channels: 16, min: -7.9, max: 9.6, channel_absmax_max: 9.6, channel_absmax_median: 0.35, ratio: 27.43 },
      { layer: 'fc/Gemm', tensor: 'fc.weight', channels: 10, min: -0.61, max: 0.58, channel_absmax_max: 0.61, channel_absmax_median: 0.49, ratio: 1.245 },
    ],
    outliers: [
      { tensor: 'stem_out', layer: NASTY.stem, channels: 16, level3: 0.25, level4: 0.125, level5: 0.0625, level6: 0, sparse: 0.0625 },
      { tensor: 'dw_out', layer: NASTY.dw, channels: 16, level3: 0.0625, level4: 0, level5: 0, level6: 0, sparse: 0 },
    ],
    suggestions: [
      { name: NASTY.dw, reason: 'individual cosine 0.962 < 0.99; individual noise:signal 0.1487 > 0.1', action: 'run this layer in int16', precision: 'int16' },
    ],
    timing: { analysis_ms: 123.456, float_pass_ms: 40.1 },
    created: '2025-01-02T03:04:05.000Z',
    ...patch,
  };
}
