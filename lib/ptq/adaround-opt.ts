/**
 * The AdaRound optimization of one layer (Nagel et al. 2020, "Up or Down? Adaptive Rounding for
 * Post-Training Quantization"), in plain Float64Array maths.
 *
 * Each weight w (integer coordinate t = w / s + z) rounds to floor(t) + h(V), with the rectified
 * sigmoid h(V) = clip(sigmoid(V) * (zeta - gamma) + gamma, 0, 1), zeta = 1.1, gamma = -0.1, V
 * initialised so that h(V) = t - floor(t) (the soft weight starts at the float weight). Loss, as in
 * AIMET: sum over output channels, mean over rows of (W~ x_q - W x)^2 (quantized-model input x_q,
 * float input x: the paper's "asymmetric reconstruction"), plus lambda * sum(1 - |2h - 1|^beta)
 * after a warm start of 20% of the iterations, beta annealed linearly from 20 to 2. Adam on V.
 * At the end h >= 0.5 rounds up.
 *
 * The reconstruction term comes in one of two exact forms over all sampled rows (no minibatches, so
 * the result is deterministic): with the Gram matrix G = sum x_q x_q^T per group (cost per step
 * cout * K^2), or with the stored rows (cost 2 * rows * K * cout), whichever is cheaper.
 */

// Math functions as module constants: hot loops stay fast where the global object is slow to read (jest's sandbox).
const { exp, floor, log, max, min, pow, sqrt } = Math;

export const ZETA = 1.1;
export const GAMMA = -0.1;

/** Reconstruction data of one layer, per group of output channels. */
export interface LayerProblem {
  cout: number;
  /** Weights per output channel. */
  k: number;
  groups: number;
  /** Sampled rows (positions). */
  rows: number;
  /** Gram form: per group, G (k x k) and, per output channel, t_c = sum x_q * y_c and sum y_c^2. */
  gram?: { G: Float64Array[]; t: Float64Array; yy: Float64Array };
  /** Row form (groups = 1): x_q rows (rows x k) and float outputs y (rows x cout). */
  direct?: { X: Float64Array; Y: Float64Array };
}

/** Rounding problem of one layer: integer coordinates and which weights are free to move. */
export interface RoundingProblem {
  /** Per weight (row-major cout x k): the float integer coordinate w / s + z. */
  t: Float64Array;
  /** Per weight: the planned (nearest) integer. */
  nearest: Int32Array;
  /** Per output channel: dequantization scale and zero point. */
  scale: Float64Array;
  zero: Float64Array;
  qmin: number;
  qmax: number;
}

export interface OptimizeSettings {
  iterations: number;
  learningRate: number;
  regularization: number;
  /** Called after the first 10 steps with the ms per step; returns the total steps to make (annealing follows it). */
  budget?: (msPerStep: number) => number;
  /** Date.now() after which no further step starts. Default none. */
  deadline?: number;
}

/** sum_j a[ao + j] * b[bo + j], four accumulators. */
function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    s0 += a[ao + j] * b[bo + j];
    s1 += a[ao + j + 1] * b[bo + j + 1];
    s2 += a[ao + j + 2] * b[bo + j + 2];
    s3 += a[ao + j + 3] * b[bo + j + 3];
  }
  for (; j < n; j++) s0 += a[ao + j] * b[bo + j];
  return s0 + s1 + s2 + s3;
}

/** y[yo + j] += f * x[xo + j]. */
function axpy(f: number, x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): void {
  let j = 0;
  for (; j + 3 < n; j += 4) {
    y[yo + j] += f * x[xo + j];
    y[yo + j + 1] += f * x[xo + j + 1];
    y[yo + j + 2] += f * x[xo + j + 2];
    y[yo + j + 3] += f * x[xo + j + 3];
  }
  for (; j < n; j++) y[yo + j] += f * x[xo + j];
}

function gramLoss(p: LayerProblem, w: Float64Array, grad: Float64Array | undefined): number {
  const { cout, k, rows } = p;
  const { G: Gs, t, yy } = p.gram!;
  const cog = cout / p.groups;
  const gv = new Float64Array(k);
  let loss = 0;
  for (let c = 0; c < cout; c++) {
    const G = Gs[floor(c / cog)];
    const off = c * k;
    for (let a = 0; a < k; a++) gv[a] = dot(G, a * k, w, off, k);
    loss += dot(w, off, gv, 0, k) - 2 * dot(w, off, t, off, k) + yy[c];
    if (grad) for (let a = 0; a < k; a++) grad[off + a] = (2 / rows) * (gv[a] - t[off + a]);
  }
  return loss / rows;
}

function directLoss(p: LayerProblem, w: Float64Array, grad: Float64Array | undefined): number {
  const { cout, k, rows } = p;
  const { X, Y } = p.direct!;
  let loss = 0;
  if (grad) grad.fill(0);
  for (let r = 0; r < rows; r++) {
    const xo = r * k;
    for (let c = 0; c < cout; c++) {
      const e = dot(X, xo, w, c * k, k) - Y[r * cout + c];
      loss += e * e;
      if (grad) axpy((2 / rows) * e, X, xo, grad, c * k, k);
    }
  }
  return loss / rows;
}

/** Reconstruction loss and its gradient with respect to the dequantized weights w (cout x k). */
export function reconstruction(p: LayerProblem, w: Float64Array, grad?: Float64Array): number {
  return p.gram ? gramLoss(p, w, grad) : directLoss(p, w, grad);
}

function sigmoid(v: number): number {
  return 1 / (1 + exp(-v));
}

/** Dequantized weights for integers q (cout x k). */
export function dequantize(r: RoundingProblem, q: ArrayLike<number>, k: number, out: Float64Array): Float64Array {
  for (let i = 0; i < q.length; i++) {
    const c = floor(i / k);
    out[i] = (q[i] - r.zero[c]) * r.scale[c];
  }
  return out;
}

/**
 * Learns the rounding of one layer. Returns the integers (cout x k) and the steps made. Weights whose
 * floor or floor + 1 falls outside [qmin, qmax] keep their planned integer.
 */
export function optimizeRounding(p: LayerProblem, r: RoundingProblem, s: OptimizeSettings): { q: Int32Array; steps: number } {
  const n = r.t.length;
  const { k } = p;
  const lo = new Float64Array(n);
  const free = new Uint8Array(n);
  const V = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = floor(r.t[i]);
    lo[i] = f;
    if (f >= r.qmin && f + 1 <= r.qmax && Number.isFinite(r.t[i])) {
      free[i] = 1;
      const frac = min(max(r.t[i] - f, 1e-4), 1 - 1e-4);
      const sig = (frac - GAMMA) / (ZETA - GAMMA);
      V[i] = log(sig / (1 - sig));
    }
  }
  const m = new Float64Array(n), v2 = new Float64Array(n);
  const w = new Float64Array(n), g = new Float64Array(n);
  const h = new Float64Array(n), sg = new Float64Array(n);
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const span = ZETA - GAMMA;
  const cout = n / k;
  let total = s.iterations;
  const probe = min(10, total);
  const start = Date.now();
  let step = 0;
  for (; step < total; step++) {
    if (s.budget && step === probe) total = max(probe, min(total, s.budget((Date.now() - start) / probe)));
    if (step >= total || (s.deadline !== undefined && step > 0 && Date.now() > s.deadline)) break;
    // Soft weights.
    for (let c = 0; c < cout; c++) {
      const sc = r.scale[c], zc = r.zero[c];
      for (let i = c * k, e = i + k; i < e; i++) {
        if (free[i]) {
          const sv = 1 / (1 + exp(-V[i]));
          sg[i] = sv;
          const hv = min(1, max(0, sv * span + GAMMA));
          h[i] = hv;
          w[i] = (lo[i] + hv - zc) * sc;
        } else {
          w[i] = (r.nearest[i] - zc) * sc;
        }
      }
    }
    reconstruction(p, w, g);
    const warm = step < 0.2 * total;
    const beta = warm ? 0 : 2 + (20 - 2) * max(0, 1 - (step - 0.2 * total) / max(1, 0.8 * total));
    const lam = s.regularization * -2 * beta;
    const t1 = 1 - pow(b1, step + 1), t2 = 1 - pow(b2, step + 1);
    const lr = s.learningRate / t1;
    for (let c = 0; c < cout; c++) {
      const sc = r.scale[c];
      for (let i = c * k, e = i + k; i < e; i++) {
        if (!free[i]) continue;
        const sv = sg[i];
        const raw = sv * span + GAMMA;
        if (raw <= 0 || raw >= 1) {
          // Clipped: no gradient through h (as torch.clamp), Adam state decays.
          m[i] *= b1;
          v2[i] *= b2;
          continue;
        }
        let dh = g[i] * sc;
        if (!warm) {
          const d = 2 * h[i] - 1;
          const a = d < 0 ? -d : d;
          // d/dh of (1 - |2h - 1|^beta): -2 beta |2h - 1|^(beta - 1) sign(2h - 1).
          if (a > 0) dh += lam * exp((beta - 1) * log(a)) * (d < 0 ? -1 : 1);
        }
        const gv = dh * span * sv * (1 - sv);
        m[i] = b1 * m[i] + (1 - b1) * gv;
        v2[i] = b2 * v2[i] + (1 - b2) * gv * gv;
        V[i] -= (lr * m[i]) / (sqrt(v2[i] / t2) + eps);
      }
    }
  }
  const q = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (!free[i]) q[i] = r.nearest[i];
    else q[i] = lo[i] + (sigmoid(V[i]) * (ZETA - GAMMA) + GAMMA >= 0.5 ? 1 : 0);
  }
  return { q, steps: step };
}
