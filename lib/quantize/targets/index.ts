/**
 * The profile registry: the built-in chip profiles by name, lookup with "did you mean", and
 * `defineProfile` for user profiles from a JSON or TS object (validated, optionally extending a
 * built-in). Variants of one toolkit setting (RKNN quantized_dtype, SNPE bit widths) are separate
 * names, e.g. `rk1808-dfp-i16`, so a CLI `--target` selects them directly.
 */
import { NpuqError } from '../../errors';
import { buildProfile } from '../define';
import type { ChipProfile, ProfileInput } from '../profile';
import { closest, describeValue } from '../suggest';
import { AX650 } from './ax650';
import { BM1684 } from './bm1684';
import { BM1684X } from './bm1684x';
import { CV18XX } from './cv18xx';
import { NCNN } from './ncnn';
import { ONNXRUNTIME, ONNXRUNTIME_RR, ONNXRUNTIME_S8 } from './onnxruntime';
import { RK1808, RK1808_DFP_I16, RK1808_DFP_I8 } from './rk1808';
import { RK3588, RK3588_W16A16I, RK3588_W8A16 } from './rk3588';
import { RV1126, RV1126_DFP_I16, RV1126_DFP_I8 } from './rv1126';
import { SNPE_HTP, SNPE_HTP_A16, SNPE_HTP_PC } from './snpe-htp';
import { SPACEMIT_K1 } from './spacemit-k1';
import { TFLITE_16X8, TFLITE_INT8 } from './tflite';

/** Built-in inputs, bases before the profiles that extend them. */
const BUILTIN_INPUTS: readonly ProfileInput[] = [
  ONNXRUNTIME, ONNXRUNTIME_S8, ONNXRUNTIME_RR,
  TFLITE_INT8, TFLITE_16X8,
  NCNN,
  RK1808, RK1808_DFP_I8, RK1808_DFP_I16,
  RV1126, RV1126_DFP_I8, RV1126_DFP_I16,
  RK3588, RK3588_W8A16, RK3588_W16A16I,
  BM1684, BM1684X, CV18XX,
  AX650,
  SPACEMIT_K1,
  SNPE_HTP, SNPE_HTP_A16, SNPE_HTP_PC,
];

/**
 * Chips that share a built-in profile's toolkit and arithmetic: RKNN-Toolkit2 serves rk3566/rk3568/rk3562
 * like rk3588, Toolkit1 serves rv1109 and rk3399pro like rv1126/rk1808, TPU-MLIR lowers BM1688 with the
 * BM1684X family, the CV18xx family shares one lowering, Pulsar2 targets AX620E like AX650.
 */
const ALIASES: Readonly<Record<string, string>> = {
  rk3566: 'rk3588', rk3568: 'rk3588', rk3562: 'rk3588',
  rv1109: 'rv1126', rk3399pro: 'rk1808',
  bm1688: 'bm1684x',
  cv180x: 'cv18xx', cv181x: 'cv18xx', cv182x: 'cv18xx', cv183x: 'cv18xx',
  ax620e: 'ax650',
};

let registry: Map<string, ChipProfile> | undefined;

function builtins(): Map<string, ChipProfile> {
  if (registry !== undefined) return registry;
  const map = new Map<string, ChipProfile>();
  for (const input of BUILTIN_INPUTS) {
    if (map.has(input.name)) throw new Error(`Built-in profile ${input.name} is defined twice`);
    const base = input.extends === undefined ? undefined : map.get(input.extends);
    if (input.extends !== undefined && base === undefined) {
      throw new Error(`Built-in profile ${input.name} extends ${input.extends}, which is not defined before it`);
    }
    map.set(input.name, buildProfile(input, base));
  }
  registry = map;
  return map;
}

function unknownProfile(name: string, what: string): never {
  const names = listProfiles();
  const hint = closest(name, [...names, ...Object.keys(ALIASES)]);
  throw new NpuqError('INVALID_ARGUMENT',
    `Unknown ${what} '${name}'${hint !== undefined ? `; did you mean '${hint}'?` : ''} Known profiles: ${names.join(', ')}`);
}

/** Names of the built-in profiles, in registry order (bases first). */
export function listProfiles(): string[] {
  return [...builtins().keys()];
}

/** Chip names that resolve to a built-in profile, e.g. `{ rk3568: 'rk3588' }`. */
export function profileAliases(): Record<string, string> {
  return { ...ALIASES };
}

/**
 * The built-in profile `name` (deeply frozen); a chip alias (`rk3568`) returns its profile.
 * @throws NpuqError('INVALID_ARGUMENT') naming every profile and the closest one by edit distance.
 */
export function getProfile(name: string): ChipProfile {
  if (typeof name !== 'string') {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a profile name (string) for getProfile but received ${describeValue(name)}`);
  }
  const p = builtins().get(ALIASES[name] ?? name);
  if (p === undefined) unknownProfile(name, 'profile');
  return p;
}

/**
 * A user profile from a JSON or TS object. Every field is optional except `name`; `extends` names a
 * built-in profile whose values the object overrides (objects merge key by key, arrays replace), and
 * anything still unset takes the defaults in profile.ts. The result is validated and deeply frozen;
 * it is not added to the registry.
 * @param input The profile object, e.g. `{ name: 'my-rk', extends: 'rk3588', weights: { granularity: 'per_tensor' } }`.
 * @throws NpuqError('INVALID_ARGUMENT') with the offending path, e.g. "Expected one of uint8, int8,
 *   uint16, int16 for activation.dtype but received 'u9'", or the closest valid key for an unknown key.
 */
export function defineProfile(input: ProfileInput): ChipProfile {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a profile object for defineProfile but received ${describeValue(input)}`);
  }
  const ext: unknown = (input as { extends?: unknown }).extends;
  if (ext === undefined) return buildProfile(input);
  if (typeof ext !== 'string') throw new NpuqError('INVALID_ARGUMENT', `Expected a profile name (string) for extends but received ${describeValue(ext)}`);
  const base = builtins().get(ALIASES[ext] ?? ext);
  if (base === undefined) unknownProfile(ext, 'base profile');
  return buildProfile({ ...input, extends: base.name }, base);
}
