/**
 * Calibration methods on hand-made distributions whose right answer is known: a normal with far
 * outliers (minmax keeps them, percentile and KL clip them), a uniform (KL keeps the max), hand-computed
 * histograms (percentile, MSE), EMA, auto-tune with a synthetic error, per-tensor overrides, and every
 * input error with its message.
 */
import { NpuqError } from '../../lib/errors';
import {
  autoTuneCandidates, autoTuneThreshold, calibrateRange, calibrateRanges, calibrateThreshold, mseErrors,
  rangeFromThreshold, type TensorStats,
} from '../../lib/calibrate/methods';
import { gaussian, rng, statsOf } from './helpers';

function expectInvalid(fn: () => unknown, ...parts: string[]): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NpuqError);
  expect((err as NpuqError).code).toBe('INVALID_ARGUMENT');
  for (const p of parts) expect((err as Error).message).toContain(p);
}

function withOutliers(): Float64Array {
  const g = gaussian(200000, 1);
  const x = new Float64Array(200020);
  x.set(g);
  for (let i = 0; i < 20; i++) x[200000 + i] = i % 2 === 0 ? 50 : -50;
  return x;
}

const outlierStats = statsOf('act', withOutliers());
const normalStats = statsOf('normal', gaussian(200000, 1));
const uniform = (() => {
  const u = rng(3);
  return Float64Array.from({ length: 100000 }, () => u());
})();
const uniformStats = statsOf('uniform', uniform);

describe('normal N(0,1) with 20 outliers at ±50', () => {
  test('minmax keeps the outliers', () => {
    expect(calibrateRange(outlierStats, 'minmax')).toEqual({ min: -50, max: 50 });
  });

  test('percentile 99.99 and kl clip them', () => {
    for (const [method, opts] of [['percentile', { percentile: 99.99 }], ['kl', {}]] as const) {
      const t = calibrateThreshold(outlierStats, method, opts);
      expect(t).toBeGreaterThan(2.5);
      expect(t).toBeLessThan(6);
      const r = calibrateRange(outlierStats, method, opts);
      expect(r).toEqual({ min: -t, max: t });
    }
  });

  test('mse keeps them: clipping 1e-4 of the mass by ~45 costs more than the coarser rounding', () => {
    // Clipping at ~5 costs 1e-4 * 45^2 ≈ 0.2 per element; rounding with t = 50 costs
    // (100 / 255)^2 / 12 ≈ 0.013. (references.test.ts checks optimality against the samples.)
    const t = calibrateThreshold(outlierStats, 'mse');
    expect(t).toBeGreaterThan(40);
    expect(t).toBeLessThanOrEqual(50);
  });

  test('the 99.9th percentile of |x| of a normal is 3.29 (erf^-1(0.999) * sqrt 2 = 3.2905)', () => {
    expect(calibrateThreshold(normalStats, 'percentile', { percentile: 99.9 })).toBeCloseTo(3.29, 1);
    expect(Math.abs(calibrateThreshold(normalStats, 'percentile', { percentile: 99.9 }) - 3.2905)).toBeLessThan(0.03);
  });

  test('on the plain normal every method stays inside the observed |x|max', () => {
    const absmax = Math.max(-normalStats.min, normalStats.max);
    for (const m of ['percentile', 'kl', 'mse'] as const) {
      const t = calibrateThreshold(normalStats, m);
      expect(t).toBeGreaterThan(2.5);
      expect(t).toBeLessThanOrEqual(absmax);
    }
  });
});

describe('uniform [0, 1)', () => {
  test('kl keeps (nearly) the whole range, minmax is exact', () => {
    expect(calibrateThreshold(uniformStats, 'kl')).toBeGreaterThan(0.9);
    const r = calibrateRange(uniformStats, 'minmax');
    expect(r.min).toBe(Math.min(...uniform));
    expect(r.max).toBe(Math.max(...uniform));
  });

  test('a non-negative tensor gets [min, t], not [-t, t]', () => {
    const r = calibrateRange(uniformStats, 'percentile', { percentile: 90 });
    expect(r.min).toBe(uniformStats.min);
    expect(r.max).toBeCloseTo(0.9, 2);
  });
});

describe('hand-computed values', () => {
  test('ema returns the moving-average range', () => {
    // Batch minima -1, -3, -2 and maxima 2, 6, 4 with constant 0.5, starting from the first batch:
    // ema = ema + 0.5 * (batch - ema): min -1 → -2 → -2, max 2 → 4 → 4.
    let lo = -1;
    let hi = 2;
    for (const [bmin, bmax] of [[-3, 6], [-2, 4]]) {
      lo += 0.5 * (bmin - lo);
      hi += 0.5 * (bmax - hi);
    }
    const stats: TensorStats = { name: 'x', count: 30, min: -3, max: 6, emaMin: lo, emaMax: hi, nonFinite: 0 };
    expect(calibrateRange(stats, 'ema')).toEqual({ min: -2, max: 4 });
    expect(calibrateRange(stats, 'minmax')).toEqual({ min: -3, max: 6 });
  });

  test('mse expected errors of a 3-bin histogram', () => {
    // counts [2, 0, 1], width 1, 3 levels over [-t, t] (delta = t):
    // t=1: clip bin 2 (d=1) 1*(1+1+1/3), round 2 * 1/12  → (7/3 + 1/6) / 3 = 5/6
    // t=2: clip bin 2 (d=0) 1/3,          round 2 * 4/12 → (1/3 + 2/3) / 3 = 1/3
    // t=3: clip 0,                        round 3 * 9/12 → 3/4 / 1 ... / 3 = 0.75
    const e = mseErrors(new Float64Array([2, 0, 1]), 1, 3, false);
    expect(Array.from(e).map((v) => +v.toFixed(12))).toEqual([+(5 / 6).toFixed(12), +(1 / 3).toFixed(12), 0.75]);
    const stats: TensorStats = {
      name: 'h', count: 3, min: -3, max: 3, emaMin: -3, emaMax: 3, nonFinite: 0,
      histogram: { counts: new Float64Array([2, 0, 1]), max: 3 },
    };
    expect(calibrateThreshold(stats, 'mse', { levels: 3 })).toBe(2);
    // One-sided grid (non-negative tensor): delta = t / 2, rounding costs a quarter as much.
    const one = mseErrors(new Float64Array([2, 0, 1]), 1, 3, true);
    expect(one[2]).toBeCloseTo((3 * 2.25) / 12 / 3, 12);
  });

  test('rangeFromThreshold clips the observed range and never returns an empty one', () => {
    const s = (min: number, max: number): TensorStats => ({ name: 'r', count: 1, min, max, emaMin: min, emaMax: max, nonFinite: 0 });
    expect(rangeFromThreshold(s(-5, 3), 4)).toEqual({ min: -4, max: 3 });
    expect(rangeFromThreshold(s(0, 8), 4)).toEqual({ min: 0, max: 4 });
    expect(rangeFromThreshold(s(2, 8), 1)).toEqual({ min: 2, max: 2 });
    expect(rangeFromThreshold(s(-8, -2), 1)).toEqual({ min: -2, max: -2 });
  });

  test('an all-zero tensor has threshold 0', () => {
    const z = statsOf('z', new Float64Array(10), 16);
    for (const m of ['percentile', 'kl', 'mse'] as const) expect(calibrateThreshold(z, m, { klTargetBins: 8 })).toBe(0);
  });
});

describe('auto-tune', () => {
  const kl = calibrateThreshold(outlierStats, 'kl');
  const absmax = 50;

  test('returns the candidate nearest the minimum of a quadratic error, evaluating at most steps + 1 times', async () => {
    const target = kl + 0.37 * (absmax - kl);
    const calls: number[] = [];
    const t = await autoTuneThreshold(outlierStats, {
      steps: 20,
      evaluate: (x) => {
        calls.push(x);
        return (x - target) ** 2;
      },
    });
    const cands = autoTuneCandidates(kl, absmax, 20);
    const nearest = cands.reduce((a, b) => (Math.abs(b - target) < Math.abs(a - target) ? b : a));
    expect(t).toBe(nearest);
    expect(calls.length).toBeLessThanOrEqual(21);
    expect(calls).toEqual(cands);
    expect(cands[0]).toBe(kl);
    expect(cands[20]).toBe(absmax);
  });

  test('ties keep the smallest threshold; async evaluate; NaN counts as worst', async () => {
    expect(await autoTuneThreshold(outlierStats, { steps: 4, evaluate: async () => 1 })).toBe(kl);
    const t = await autoTuneThreshold(outlierStats, { steps: 4, evaluate: (x) => (x === kl ? NaN : 5) });
    expect(t).toBe(autoTuneCandidates(kl, absmax, 4)[1]);
  });

  test('calibrateRange auto returns a promise of the clipped range', async () => {
    const p = calibrateRange(outlierStats, 'auto', { auto: { steps: 2, evaluate: (x) => -x } });
    expect(p).toBeInstanceOf(Promise);
    expect(await p).toEqual({ min: -50, max: 50 });
  });

  test('coinciding ends give one candidate', () => {
    expect(autoTuneCandidates(3, 3, 20)).toEqual([3]);
  });

  test('errors', async () => {
    await expect(autoTuneThreshold(outlierStats, {} as never)).rejects.toThrow('Expected an evaluate(threshold) function');
    await expect(autoTuneThreshold(outlierStats, { steps: 0, evaluate: () => 0 })).rejects.toThrow('Expected an integer >= 1 for steps but received 0');
    await expect(autoTuneThreshold(outlierStats, { evaluate: () => 'x' as never })).rejects.toThrow("to return a number but received 'x'");
    expectInvalid(() => calibrateRange(outlierStats, 'auto', {}), "Method 'auto' needs opts.auto");
  });
});

describe('calibrateRanges', () => {
  const stats = new Map<string, TensorStats>([
    ['conv1_out', outlierStats],
    ['relu_out', uniformStats],
    ['fc_out', { name: 'fc_out', count: 4, min: -1, max: 2, emaMin: -0.5, emaMax: 1.5, nonFinite: 0 }],
  ]);

  test('global method with per-tensor overrides', () => {
    const r = calibrateRanges(stats, 'minmax', { perTensor: { conv1_out: 'kl', fc_out: 'ema' }, klTargetBins: 128 });
    const t = calibrateThreshold(outlierStats, 'kl');
    expect(r.get('conv1_out')).toEqual({ min: -t, max: t });
    expect(r.get('relu_out')).toEqual({ min: uniformStats.min, max: uniformStats.max });
    expect(r.get('fc_out')).toEqual({ min: -0.5, max: 1.5 });
    expect([...r.keys()]).toEqual(['conv1_out', 'relu_out', 'fc_out']);
  });

  test('unknown tensor names name the closest existing ones', () => {
    expectInvalid(() => calibrateRanges(stats, 'minmax', { perTensor: { conv1_outt: 'kl', Relu_out: 'mse' } }),
      "Unknown tensor names in perTensor: 'conv1_outt' (closest: 'conv1_out'), 'Relu_out' (closest: 'relu_out')");
  });

  test('bad methods, auto, and a tensor without histogram', () => {
    expectInvalid(() => calibrateRanges(stats, 'minmax', { perTensor: { fc_out: 'kll' as never } }),
      "for perTensor['fc_out'] but received 'kll' (did you mean 'kl'?)");
    expectInvalid(() => calibrateRanges(stats, 'auto'), "Method 'auto' cannot be used in calibrateRanges (tensor 'conv1_out')", 'autoTuneThreshold');
    expectInvalid(() => calibrateRanges(stats, 'percentile'), "Tensor 'fc_out' has no histogram, which the 'percentile' calibration method needs",
      'collectStatistics(..., { histogram: true })');
  });
});

describe('input errors', () => {
  const empty: TensorStats = { name: 'dead', count: 0, min: Infinity, max: -Infinity, emaMin: NaN, emaMax: NaN, nonFinite: 12 };

  test('empty statistics', () => {
    for (const m of ['minmax', 'ema', 'percentile', 'kl', 'mse'] as const) {
      expectInvalid(() => calibrateRange(empty, m), "Tensor 'dead' has no statistics: count is 0 (12 non-finite values were seen)");
    }
  });

  test('missing histogram names the method and how to collect it', () => {
    const { histogram: _h, ...noHist } = outlierStats;
    for (const m of ['percentile', 'kl', 'mse'] as const) {
      expectInvalid(() => calibrateThreshold(noHist, m),
        `Tensor 'act' has no histogram, which the '${m}' calibration method needs: collect them with collectStatistics(..., { histogram: true })`);
    }
  });

  test('percentile outside (0, 100]', () => {
    for (const p of [0, -1, 100.5, NaN]) {
      expectInvalid(() => calibrateThreshold(outlierStats, 'percentile', { percentile: p }), 'Expected a percentile in (0, 100] (percent, e.g. 99.99) but received');
    }
    expect(calibrateThreshold(outlierStats, 'percentile', { percentile: 100 })).toBe(50);
  });

  test('unknown method lists the valid ones', () => {
    expectInvalid(() => calibrateRange(outlierStats, 'entropy' as never),
      "Expected one of minmax, ema, percentile, kl, mse, auto for the calibration method but received 'entropy'");
    expectInvalid(() => calibrateThreshold(outlierStats, 'percentil' as never), "(did you mean 'percentile'?)");
    expectInvalid(() => calibrateThreshold(outlierStats, 'minmax' as never), 'Expected one of percentile, kl, mse for calibrateThreshold', 'use calibrateRange for minmax');
  });

  test('bad KL and MSE options', () => {
    expectInvalid(() => calibrateThreshold(outlierStats, 'kl', { klTargetBins: 4096 }),
      'KL calibration needs at least klTargetBins = 4096 histogram bins but the histogram has 2048');
    expectInvalid(() => calibrateThreshold(outlierStats, 'kl', { klTargetBins: 1.5 }), 'Expected an integer >= 2 for klTargetBins but received 1.5');
    expectInvalid(() => calibrateThreshold(outlierStats, 'kl', { klStride: 0 }), 'Expected an integer >= 1 for klStride but received 0');
    expectInvalid(() => calibrateThreshold(outlierStats, 'mse', { levels: 1 }), 'Expected an integer >= 2 for levels but received 1');
  });

  test('ema statistics missing', () => {
    const s: TensorStats = { ...outlierStats, emaMin: NaN, emaMax: NaN };
    expectInvalid(() => calibrateRange(s, 'ema'), "Tensor 'act' has no usable moving-average statistics", "use method 'minmax'");
  });

  test('malformed histograms', () => {
    const base = { name: 'h', count: 3, min: -1, max: 1, emaMin: -1, emaMax: 1, nonFinite: 0 };
    expectInvalid(() => calibrateThreshold({ ...base, histogram: { counts: new Float64Array(4), max: 1 } }, 'kl'),
      "The histogram of tensor 'h' is empty (all counts 0)");
    expectInvalid(() => calibrateThreshold({ ...base, histogram: { counts: new Float64Array([1, -1]), max: 1 } }, 'mse'),
      "Expected finite counts >= 0 in the histogram of tensor 'h' but bin 1 holds -1");
    expectInvalid(() => calibrateThreshold({ ...base, histogram: { counts: [1, 2] as never, max: 1 } }, 'mse'),
      "Expected a non-empty Float64Array for the histogram counts of tensor 'h' but received Array");
    expectInvalid(() => calibrateThreshold({ ...base, min: NaN }, 'mse'), "Expected finite statistics with min <= max for tensor 'h' but received [NaN, 1]");
  });
});
