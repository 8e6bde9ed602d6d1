/**
 * Guidance: flags on layers whose numbers call for action, each with the measured value, the threshold
 * and the action, and the suggestion list (the input of hybrid step 1). The thresholds and what they
 * mean are written into every report, because "is 0.97 bad?" is the first question users ask.
 */
import type { ChipProfile, Precision } from '../quantize/profile';
import type { Analysis, Flag, LayerAnalysis, OutlierRow, Suggestion, Thresholds, WeightStats } from './types';

export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = {
  individualCosine: 0.99,
  noiseSignal: 0.1,
  cumulativeDrop: 0.01,
  outlierShare: 0.05,
  weightRatio: 8,
};

/** What each threshold means, in the words the reports print. */
export const THRESHOLD_MEANING: Readonly<Record<keyof Thresholds, string>> = {
  individualCosine:
    'Flag a layer whose output, computed from float inputs, has a cosine similarity with float below this. ' +
    'Above 0.999 is typical of a healthy int8 layer; below 0.99 the layer itself loses information.',
  noiseSignal:
    "Flag a layer whose individual noise:signal power ratio Σ(q−f)²/Σf² (PPQ's metric) is above this. 0.1 means " +
    'the error carries 10% of the signal power (SQNR about 10 dB): usually acceptable for classification, far too ' +
    'much for regression outputs such as super-resolution or detection boxes (aim for 0.001 there).',
  cumulativeDrop:
    'Flag a layer where the cumulative cosine (errors of every earlier layer included) falls by more than this ' +
    'compared with its inputs: the place where accuracy is lost along the graph.',
  outlierShare:
    'Flag an activation where this share of channels sits 32x (level 5) or more below the tensor maximum ' +
    "(Pulsar2's outlier table): one scale for the tensor leaves those channels only a few integer levels.",
  weightRatio:
    'Flag per-tensor weights whose largest channel range is more than this times the median channel range: ' +
    'the small channels are quantized coarsely.',
};

/** The next precision up that the target offers for a layer now in `current`. */
export function higherPrecision(profile: ChipProfile, current: string): Precision | undefined {
  const order: Precision[] = current.endsWith('16') && !current.startsWith('float') && !current.startsWith('bfloat')
    ? ['float16', 'bfloat16', 'float32']
    : current.startsWith('float') || current.startsWith('bfloat')
      ? ['float32']
      : ['int16', 'float16', 'bfloat16', 'float32'];
  return order.find((p) => p !== current && profile.hybrid.precisions.includes(p));
}

const fmt = (v: number) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));

/** Sets `flags` on every layer and returns the suggestions, worst first. */
export function flagLayers(
  layers: LayerAnalysis[], outliers: OutlierRow[], weights: WeightStats[], thresholds: Thresholds, profile: ChipProfile, perChannelWeights: boolean,
): Suggestion[] {
  const outlierOf = new Map(outliers.map((o) => [o.tensor, o]));
  const weightOf = new Map(weights.map((w) => [w.layer, w]));
  const suggestions: { s: Suggestion; severity: number }[] = [];
  for (const l of layers) {
    const flags: Flag[] = [];
    const up = higherPrecision(profile, l.dtype);
    const raise = up ? `run this layer in ${up} (hybrid quantization)` : `no higher precision on ${profile.name}: try another calibration method for its output`;
    const ind = l.individual;
    if (ind && ind.cosine < thresholds.individualCosine) {
      flags.push({ code: 'individual_cosine', reason: `individual cosine ${fmt(ind.cosine)} < ${thresholds.individualCosine}`, action: raise });
    }
    if (ind && ind.noise_signal_ratio > thresholds.noiseSignal) {
      flags.push({ code: 'noise_signal', reason: `individual noise:signal ${fmt(ind.noise_signal_ratio)} > ${thresholds.noiseSignal}`, action: raise });
    }
    if (l.cumulative_drop > thresholds.cumulativeDrop) {
      flags.push({ code: 'cumulative_drop', reason: `cumulative cosine drops by ${fmt(l.cumulative_drop)} here (> ${thresholds.cumulativeDrop})`, action: raise });
    }
    const o = outlierOf.get(l.output);
    if (o && o.level5 >= thresholds.outlierShare && l.execution !== 'keep_float') {
      flags.push({
        code: 'outliers',
        reason: `${(o.level5 * 100).toFixed(1)}% of the ${o.channels} output channels are 32x or more below the tensor max`,
        action: 'SmoothQuant (quantize --smooth-quant) for the consumers, or a 16-bit type for this tensor',
      });
    }
    const w = weightOf.get(l.name);
    if (w && !perChannelWeights && w.ratio > thresholds.weightRatio) {
      flags.push({
        code: 'weight_range',
        reason: `weight channel ranges differ by ${w.ratio.toFixed(1)}x (max / median) with per-tensor weights`,
        action: 'per-channel weights (--per-channel) or cross-layer equalization (--cle)',
      });
    }
    l.flags = flags;
  }
  // Outliers do their damage downstream: a tensor whose small channels get a few integer levels looks
  // fine by cosine at its own layer (the big channels dominate it) and loses accuracy where it is read.
  // A consumer flagged for its individual error whose input carries flagged outliers passes its
  // severity to the layer where those outliers start (followed back through layers whose input has
  // them too, e.g. a MaxPool), which then ranks first: raising that layer is what fixes both.
  const byOutput = new Map(layers.map((l) => [l.output, l]));
  const severity = new Map<LayerAnalysis, number>();
  for (const l of layers) {
    const ind = l.individual;
    severity.set(l, (ind ? Math.max(ind.noise_signal_ratio, 1 - ind.cosine) : 0) + Math.max(0, l.cumulative_drop));
  }
  const hasOutliers = (t: string) => byOutput.get(t)?.flags.some((f) => f.code === 'outliers') ?? false;
  const origin = (t: string): LayerAnalysis | undefined => {
    let l = byOutput.get(t);
    for (let guard = 0; l && guard < layers.length; guard++) {
      const up = l.inputs?.find(hasOutliers);
      if (!up) break;
      l = byOutput.get(up);
    }
    return l;
  };
  for (const l of layers) {
    if (!l.flags.some((f) => f.code === 'individual_cosine' || f.code === 'noise_signal')) continue;
    const t = l.inputs?.find(hasOutliers);
    const src = t !== undefined ? origin(t) : undefined;
    if (!src || src === l) continue;
    const f = src.flags.find((x) => x.code === 'outliers')!;
    f.reason += `; ${l.name} reads them and its individual cosine is ${fmt(l.individual!.cosine)}`;
    const up = higherPrecision(profile, src.dtype);
    if (up) f.action = `run this layer in ${up} (its output keeps the small channels), or SmoothQuant for the consumers`;
    severity.set(src, Math.max(severity.get(src)!, severity.get(l)! * 1.0001 + 1e-12));
    for (const g of l.flags) if (g.code === 'individual_cosine' || g.code === 'noise_signal') g.action = `raise ${src.name} instead: the loss comes from the outlier channels of its output (see its flags)`;
  }
  for (const l of layers) {
    const flags = l.flags;
    if (flags.length === 0) continue;
    const up = higherPrecision(profile, l.dtype);
    const raises = up !== undefined && flags.some((f) => f.action.startsWith('run this layer in'));
    suggestions.push({
      s: { name: l.name, reason: flags.map((f) => f.reason).join('; '), action: flags[0].action, ...(raises ? { precision: up } : {}) },
      severity: severity.get(l)!,
    });
  }
  suggestions.sort((a, b) => b.severity - a.severity);
  return suggestions.map((x) => x.s);
}

/** Thresholds with the user's values over the defaults, validated. */
export function resolveThresholds(t: Partial<Thresholds> | undefined): Thresholds {
  const out = { ...DEFAULT_THRESHOLDS, ...(t ?? {}) };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`Expected a finite number for thresholds.${k} but received ${String(v)}`);
  }
  return out;
}

export type { Analysis };
