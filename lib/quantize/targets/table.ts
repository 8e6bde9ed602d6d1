/**
 * A markdown table of the built-in profiles (name, activations, weights, granularity, scale
 * constraint, rounding, requant, sources) for the README; targets/README.md embeds its output and a
 * test keeps the two equal.
 */
import { resolveWeightSpec } from '../define';
import type { ChipProfile, ScaleSpec, WeightSpec } from '../profile';
import { getProfile, listProfiles } from './index';

function tensor(dtype: string, symmetric: boolean, narrow: boolean): string {
  const bits = dtype.endsWith('8') ? 8 : 16;
  const range = symmetric && narrow && dtype.startsWith('int') ? ` ±${2 ** (bits - 1) - 1}` : '';
  return `${dtype} ${symmetric ? 'sym' : 'asym'}${range}`;
}

function scaleText(s: ScaleSpec): string {
  if (s.kind === 'power_of_two') return `power-of-two (log2 ${s.log2Rounding})`;
  if (s.kind === 'dfp') return 'dynamic fixed point 2^-fl';
  const extra = [s.minRange > 0 ? `min range ${s.minRange}` : '', s.minScale > 0 ? `min scale ${s.minScale}` : ''].filter((x) => x);
  return ['float', ...extra].join(', ');
}

function byOpGroups(p: ChipProfile, describe: (w: Omit<WeightSpec, 'byOp'>) => string): string {
  const base = describe(resolveWeightSpec(p, ''));
  const groups = new Map<string, string[]>();
  for (const op of Object.keys(p.weights.byOp)) {
    const d = describe(resolveWeightSpec(p, op));
    if (d !== base) groups.set(d, [...(groups.get(d) ?? []), op]);
  }
  return [base, ...[...groups].map(([d, ops]) => `${ops.join('/')}: ${d}`)].join('; ');
}

function row(p: ChipProfile): string[] {
  const a = p.activation;
  const others = a.allowed.filter((d) => d !== a.dtype);
  const acts = `${tensor(a.dtype, a.symmetric, a.narrowRange)}${others.length ? ` (also ${others.join(', ')})` : ''}`;
  const weights = byOpGroups(p, (w) => tensor(w.dtype, w.symmetric, w.narrowRange));
  const gran = byOpGroups(p, (w) => w.granularity.replace('_', '-'));
  const fit = p.weights.fitToRequant === 'shift' ? 'weights fitted to a right shift'
    : p.weights.fitToRequant === 'multiplier' ? 'weights fitted to the QDM multiplier' : '';
  const wScale = byOpGroups(p, (w) => scaleText(w.scale));
  const scale = [`act: ${scaleText(a.scale)}`, `w: ${wScale}`, fit].filter((x) => x).join('; ');
  const r = p.rounding;
  const same = r.input === r.weight && r.weight === r.requant;
  const rounding = same ? r.input : `in ${r.input}, w ${r.weight}, requant ${r.requant}`;
  const m = p.requant.method;
  const bits = m === 'multiplier_shift' || m === 'multiplier_shift_float' ? ` (${p.requant.multiplierBits}-bit)` : '';
  const requant = `${m}${bits}${p.requant.dequantizeFirst ? ', dequantize first' : ''}; bias ${p.bias.dtype}`;
  const sources = p.sources.filter((s) => s.id !== 'facts').map((s) => s.id).join(', ');
  return [`\`${p.name}\``, acts, weights, gran, scale, rounding, requant, sources];
}

/** The markdown table of every built-in profile. */
export function profileTable(): string {
  const head = ['name', 'activations', 'weights', 'granularity', 'scale constraint', 'rounding', 'requant', 'sources'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const name of listProfiles()) lines.push(`| ${row(getProfile(name)).join(' | ')} |`);
  return lines.join('\n');
}

/** A markdown list, per built-in profile, of the fields whose values are inferred rather than read in a source. */
export function inferredSummary(): string {
  return listProfiles().map((name) => {
    const p = getProfile(name);
    const own = p.claims.filter((c) => c.verified === 'inferred').map((c) => `\`${c.path}\``);
    return `- \`${name}\`: ${own.length ? own.join(', ') : 'none'}`;
  }).join('\n');
}
