/**
 * "What the numbers mean": the explanation of every metric and every threshold, written once and
 * rendered by the md and html reports. Plain text (no markup): callers escape it for their format.
 */
import type { Analysis, Thresholds } from '../analyze/types';
import { ROUNDING } from './format';

export interface MeaningEntry {
  term: string;
  text: string;
}

/** The metrics, in the order the reports show them. */
export function metricMeanings(): MeaningEntry[] {
  return [
    {
      term: 'float, individual, cumulative',
      text: 'Each layer output is computed three ways: by the float model (f); by the quantized layer alone, fed with the float values ' +
        'of its inputs quantized to the layer\'s input parameters ("individual", RKNN "single", Pulsar2 "PerLayer"); and by the whole ' +
        'quantized model fed with the sample, so that the errors of every earlier layer accumulate ("cumulative", RKNN "entire", ' +
        'Pulsar2 "EndToEnd", PPQ graphwise). The quantized results (q) are dequantized and compared with f. The individual error says ' +
        'how much this layer itself loses; the cumulative error says how far the model has drifted by this point. "-" means the ' +
        'layer runs in float and has no error of its own.',
    },
    {
      term: 'Cosine',
      text: 'Cosine similarity Σ f·q / (‖f‖ ‖q‖), computed per sample and averaged over samples. 1 = same direction; it ignores a ' +
        'uniform scale error. 1 when both are all zeros, 0 when only one is. Higher is better; Pulsar2 calls an output cosine above ' +
        '0.98 normal, but a classifier can keep its top-1 at lower values and a detector or super-resolution model can need more.',
    },
    {
      term: 'SQNR dB',
      text: 'Signal-to-quantization-noise ratio in decibels, TPU-MLIR\'s definition: 10·log10(var(f) / var(q − f)) over every element of ' +
        'every sample. Higher is better; each 6 dB is about one bit of precision (int8 at its best gives about 40-50 dB on a layer). ' +
        '"inf" when the noise is zero.',
    },
    {
      term: 'SNR (noise:signal)',
      text: 'PPQ\'s noise-to-signal power ratio Σ(q − f)² / Σf² over every element of every sample (the "SNR" column of PPQ and ' +
        'XQuant, which is a noise:signal ratio, not a signal:noise one). Lower is better: 0.1 is roughly 10 dB, 0.01 roughly 20 dB. ' +
        'A PPQ maintainer\'s rule of thumb: about 10% is acceptable for classification, about 0.1% is needed for super-resolution. ' +
        'Unlike SQNR it counts a constant offset (bias error) as noise.',
    },
    { term: 'MSE', text: 'Mean squared error (q − f)² over all elements, in the squared units of the tensor.' },
    { term: 'Max |error|', text: 'The largest |q − f| over all elements, in the units of the tensor; compare it with the tensor\'s range (min/max).' },
    { term: 'Euclidean', text: 'Euclidean distance ‖q − f‖ per sample, averaged over samples (RKNN\'s "euc" column). It grows with the tensor size.' },
    {
      term: 'Cumulative drop',
      text: 'How much the cumulative cosine falls at this layer: the lowest cumulative cosine among the producers of its quantized inputs ' +
        '(1 for graph inputs) minus the layer\'s own cumulative cosine. Positive = the layer lost accuracy; the largest drops point at ' +
        'the layers worth raising to a higher precision.',
    },
    {
      term: 'Min/max, histograms',
      text: 'The range of the float (F) and the dequantized quantized (Q) output over all samples, and 32-bin histograms over [lo, hi] ' +
        '(values outside count in the end bins). A quantized range much narrower than the float one means clipping; empty bins ' +
        'between full ones in Q mean too few quantization levels. In analysis.md a histogram is one character per bin: "." empty, ' +
        'then ▁ to █ with the height proportional to log(1 + count); the html charts also use a log scale.',
    },
    {
      term: 'Top-1 / top-5 agreement',
      text: 'For outputs with a class axis (last axis larger than 1): the share of samples whose float and quantized top-1 class agree, ' +
        'and the share whose float top-1 class is within the quantized top-5. The TOP-5 printouts list the class index and score of ' +
        'the float and quantized outputs for the first samples.',
    },
    {
      term: 'Weight statistics',
      text: 'Per output channel (axis 0) of each constant weight: the largest |w| of the strongest channel, of the median channel, and ' +
        'their ratio. With per-tensor weight quantization one scale serves every channel, so a large ratio leaves the small channels ' +
        'only a few int8 levels; per-channel quantization or cross-layer equalization fixes that.',
    },
    {
      term: 'Outlier table',
      text: 'Pulsar2\'s outlier table for activations: with m = max|x| of the tensor and m_c that of channel c (axis 1), the level of c is ' +
        'log2(m / m_c). The columns give the share of channels at level ≥ 3, 4, 5 and 6 (their largest value is at most 1/8, 1/16, ' +
        '1/32, 1/64 of the tensor\'s), and the share of sparse channels (all zero). Many channels at a high level means a few outlier ' +
        'channels stretch the per-tensor scale; SmoothQuant, per-channel activations or int16 help.',
    },
  ];
}

/** The thresholds, with their values, that decided the flags. */
export function thresholdMeanings(t: Thresholds): MeaningEntry[] {
  return [
    { term: `individual_cosine: individual cosine < ${t.individualCosine}`, text: 'The layer alone loses too much: run it at a higher precision (int16, float16).' },
    { term: `noise_signal: individual noise:signal > ${t.noiseSignal}`, text: `The layer's own quantization noise is more than ${(t.noiseSignal * 100).toPrecision(3)}% of its signal power (XQuant's SNR rule).` },
    { term: `cumulative_drop: cumulative drop > ${t.cumulativeDrop}`, text: 'The cumulative cosine falls by more than this at the layer: the model loses accuracy here.' },
    { term: `outliers: share of channels at level ≥ 5 ≥ ${t.outlierShare}`, text: 'Outlier channels stretch the activation scale (see the outlier table).' },
    { term: `weight_range: max/median channel ratio > ${t.weightRatio}`, text: 'With per-tensor weights the small channels lose their precision (applies to per-tensor weights only).' },
  ];
}

/** Everything in the order of the "What the numbers mean" section, ending with the rounding note. */
export function allMeanings(a: Analysis): { metrics: MeaningEntry[]; thresholds: MeaningEntry[]; rounding: string } {
  return { metrics: metricMeanings(), thresholds: thresholdMeanings(a.thresholds), rounding: ROUNDING };
}
