/**
 * Builds a complete ChipProfile from an input: shape check, merge over the base (or the defaults),
 * source resolution, then the cross-field checks a schema cannot express. Used by the registry for
 * the built-in targets and by `defineProfile` for user profiles.
 */
import { NpuqError } from '../errors';
import { profileDefaults } from './defaults';
import type { ChipProfile, Claim, ProfileInput, ScaleSpec, Source, WeightSpec } from './profile';
import { PROFILE_SCHEMA } from './schema';
import { checkShape } from './check-shape';
import { closest } from './suggest';
import { SOURCE_CATALOG } from './targets/sources';

function fail(message: string): never {
  throw new NpuqError('INVALID_ARGUMENT', message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: plain objects merge key by key, everything else (arrays, functions) replaces. */
function mergeDeep(base: unknown, over: unknown): unknown {
  if (over === undefined) return clone(base);
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = {};
    for (const k of new Set([...Object.keys(base), ...Object.keys(over)])) out[k] = mergeDeep(base[k], over[k]);
    return out;
  }
  return clone(over);
}

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  return v;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as Record<string, unknown>)) deepFreeze(x);
  }
  return v;
}

function resolveSource(s: string | Source, where: string): Source {
  if (typeof s !== 'string') return { id: s.id, title: s.title, url: s.url };
  const found = SOURCE_CATALOG.get(s);
  if (found === undefined) {
    const hint = closest(s, [...SOURCE_CATALOG.keys()]);
    fail(`Unknown source '${s}' in ${where}; did you mean '${hint ?? ''}'? Give a catalog id or { id, title, url }`);
  }
  return { ...found };
}

function mergeSources(base: readonly Source[], own: readonly (string | Source)[] | undefined): Source[] {
  const out = base.map((s) => ({ ...s }));
  (own ?? []).forEach((s, i) => {
    const src = resolveSource(s, `sources[${i}]`);
    const at = out.findIndex((x) => x.id === src.id);
    if (at >= 0) out[at] = src;
    else out.push(src);
  });
  return out;
}

function mergeClaims(base: readonly Claim[], own: readonly Partial<Claim>[] | undefined): Claim[] {
  const out = base.map((c) => ({ ...c, sources: [...c.sources] }));
  (own ?? []).forEach((c, i) => {
    if (c.path === undefined || c.verified === undefined) {
      fail(`Expected path and verified in claims[${i}] but received ${JSON.stringify(c)}`);
    }
    const claim: Claim = { path: c.path, verified: c.verified, sources: [...(c.sources ?? [])] };
    if (c.note !== undefined) claim.note = c.note;
    const at = out.findIndex((x) => x.path === claim.path);
    if (at >= 0) out[at] = claim;
    else out.push(claim);
  });
  return out;
}

/** Every dotted field path of a profile (for claim checks). */
export function profilePaths(p: ChipProfile): string[] {
  const out: string[] = [];
  const walk = (v: unknown, prefix: string): void => {
    if (!isPlainObject(v)) return;
    for (const [k, x] of Object.entries(v)) {
      const at = prefix === '' ? k : `${prefix}.${k}`;
      out.push(at);
      walk(x, at);
    }
  };
  const { sources, claims, notes, hooks, ...rest } = p;
  void sources; void claims; void notes; void hooks;
  walk(rest, '');
  return out;
}

const SIGNED = new Set(['int8', 'int16']);

function checkScale(s: ScaleSpec, symmetric: boolean, dtype: string, path: string): void {
  if (s.kind === 'dfp' && !(symmetric && SIGNED.has(dtype))) {
    fail(`${path}.scale.kind 'dfp' requires a symmetric signed type (int8 or int16) but ${path} is ` +
      `${symmetric ? 'symmetric' : 'asymmetric'} ${dtype}`);
  }
}

/** The weight spec of one op type: `weights` with `weights.byOp[opType]` merged over it. */
export function resolveWeightSpec(p: ChipProfile, opType: string): Omit<WeightSpec, 'byOp'> {
  const { byOp, ...base } = p.weights;
  const o = byOp[opType];
  if (o === undefined) return { ...base, scale: { ...base.scale } };
  return { ...base, ...o, allowed: base.allowed, scale: { ...base.scale, ...(o.scale ?? {}) } };
}

function checkWeights(p: ChipProfile): void {
  const specs: [string, Omit<WeightSpec, 'byOp'>][] = [['weights', resolveWeightSpec(p, '')]];
  for (const op of Object.keys(p.weights.byOp)) specs.push([`weights.byOp.${op}`, resolveWeightSpec(p, op)]);
  for (const [path, w] of specs) {
    if (!w.allowed.includes(w.dtype)) {
      fail(`Expected one of ${w.allowed.join(', ')} (weights.allowed) for ${path}.dtype but received '${w.dtype}'`);
    }
    checkScale(w.scale, w.symmetric, w.dtype, path);
    if (w.fitToRequant === 'shift' && p.requant.method !== 'shift_only') {
      fail(`${path}.fitToRequant 'shift' requires requant.method 'shift_only' but requant.method is '${p.requant.method}'`);
    }
    if (w.fitToRequant === 'multiplier' && p.requant.method !== 'fixed_point_double') {
      fail(`${path}.fitToRequant 'multiplier' requires requant.method 'fixed_point_double' but requant.method is '${p.requant.method}'`);
    }
    if (p.requant.method === 'shift_only' && w.fitToRequant !== 'shift') {
      const pow2 = (k: string): boolean => k === 'power_of_two' || k === 'dfp';
      if (!pow2(w.scale.kind) || !pow2(p.activation.scale.kind)) {
        fail(`requant.method 'shift_only' needs power-of-two scales: set ${path}.fitToRequant to 'shift', or ` +
          `activation.scale.kind and ${path}.scale.kind to 'power_of_two' or 'dfp'`);
      }
    }
  }
}

function checkClaims(p: ChipProfile): void {
  const paths = profilePaths(p);
  const ids = p.sources.map((s) => s.id);
  const seen = new Set<string>();
  for (const s of p.sources) {
    if (seen.has(s.id)) fail(`Duplicate source id '${s.id}' in sources`);
    seen.add(s.id);
  }
  p.claims.forEach((c, i) => {
    if (!paths.includes(c.path)) {
      fail(`Unknown field '${c.path}' in claims[${i}].path; did you mean '${closest(c.path, paths) ?? ''}'?`);
    }
    for (const s of c.sources) {
      if (!ids.includes(s)) {
        fail(`Unknown source '${s}' in claims[${i}].sources (${c.path}); did you mean '${closest(s, ids) ?? ''}'? ` +
          'Add it to sources first');
      }
    }
    if (c.verified === 'inferred' && (c.note === undefined || c.note.trim() === '')) {
      fail(`claims[${i}] (${c.path}) is marked inferred and needs a note saying why`);
    }
    if (c.verified === 'source' && c.sources.length === 0) {
      fail(`claims[${i}] (${c.path}) is marked source but cites no source`);
    }
  });
}

/** Cross-field checks on a merged profile; throws NpuqError('INVALID_ARGUMENT'). */
export function checkProfile(p: ChipProfile): void {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(p.name)) {
    fail(`Expected a lowercase name of letters, digits, '.', '_' or '-' for name but received '${p.name}'`);
  }
  const a = p.activation;
  if (!a.allowed.includes(a.dtype)) {
    fail(`Expected one of ${a.allowed.join(', ')} (activation.allowed) for activation.dtype but received '${a.dtype}'`);
  }
  checkScale(a.scale, a.symmetric, a.dtype, 'activation');
  if (a.unsignedWhenNonNegative && !(a.symmetric && SIGNED.has(a.dtype))) {
    fail('activation.unsignedWhenNonNegative requires a symmetric signed activation type');
  }
  checkWeights(p);
  const r = p.requant.method;
  const fixed = r === 'fixed_point_double' ? 'half_away_from_zero' : r === 'fixed_point_single' ? 'half_up' : undefined;
  if (fixed !== undefined && p.rounding.requant !== fixed) {
    fail(`Expected '${fixed}' for rounding.requant with requant.method '${r}' (its rounding is fixed) ` +
      `but received '${p.rounding.requant}'`);
  }
  if (p.bias.dtype === 'float32' && !p.requant.dequantizeFirst) {
    fail("bias.dtype 'float32' requires requant.dequantizeFirst true (a float bias is added after dequantization)");
  }
  if (!(p.hybrid.precisions as string[]).includes(a.dtype)) {
    fail(`Expected hybrid.precisions to include the default activation type '${a.dtype}' ` +
      `but received ${p.hybrid.precisions.join(', ')}`);
  }
  checkClaims(p);
}

/**
 * Validates `input`, merges it over `base` (or the defaults) and returns the frozen profile.
 * @param input The profile input (already looked up: `extends` is resolved by the caller into `base`).
 * @param base The profile named by `input.extends`, if any.
 */
export function buildProfile(input: ProfileInput, base?: ChipProfile): ChipProfile {
  checkShape(input, PROFILE_SCHEMA, 'profile');
  if (typeof input.name !== 'string' || input.name === '') {
    fail(`Expected a non-empty string for name but received ${input.name === '' ? "''" : String(input.name)}`);
  }
  const { extends: ext, sources, claims, hooks, ...fields } = input;
  const start: Omit<ChipProfile, 'name' | 'description'> & { description?: string } = base ?? profileDefaults();
  const merged = mergeDeep({ ...start, hooks: {} }, fields) as ChipProfile;
  // Arrays a user sets replace the base's, but `allowed` must keep containing a changed default dtype.
  if (fields.activation?.dtype !== undefined && fields.activation.allowed === undefined &&
      !merged.activation.allowed.includes(merged.activation.dtype)) {
    merged.activation.allowed = base === undefined ? [merged.activation.dtype] : [...merged.activation.allowed, merged.activation.dtype];
  }
  if (fields.weights?.dtype !== undefined && fields.weights.allowed === undefined &&
      !merged.weights.allowed.includes(merged.weights.dtype)) {
    merged.weights.allowed = base === undefined ? [merged.weights.dtype] : [...merged.weights.allowed, merged.weights.dtype];
  }
  merged.hooks = { ...(base?.hooks ?? {}), ...(hooks ?? {}) };
  merged.base = ext ?? '';
  merged.description = fields.description ?? (base !== undefined ? `${input.name}: ${base.name} with overrides` : input.name);
  merged.sources = mergeSources(base?.sources ?? [], sources);
  merged.claims = mergeClaims(base?.claims ?? [], claims);
  merged.notes = [...new Set([...(base?.notes ?? []), ...(fields.notes ?? [])])];
  checkProfile(merged);
  return deepFreeze(merged);
}
