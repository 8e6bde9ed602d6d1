/**
 * Rockchip RV1126 / RV1109 with RKNN-Toolkit1: the same Acuity quantization family as RK1808, so the
 * three profiles extend the rk1808 ones (`asymmetric_affine-u8`, `dynamic_fixed_point-i8`,
 * `dynamic_fixed_point-i16`); see rk1808.ts for the choices and what is inferred.
 *
 * Sources: RKNN-Toolkit1 user guide (rk1808, rv1126, rk3399pro share quantized_dtype),
 * quantization-facts.md §3.
 */
import type { ProfileInput } from '../profile';
import { sourced } from './common';

const SAME = sourced('toolkit', ['facts', 'rknn-toolkit1'], 'RKNN-Toolkit1 serves rk1808, rv1126 and rk3399pro with the same quantized_dtype options');

/** Input of the built-in profile `rv1126` (see the file comment for its sources and choices). */
export const RV1126: ProfileInput = {
  name: 'rv1126',
  extends: 'rk1808',
  description: 'RV1126 (RKNN-Toolkit1) asymmetric_affine-u8: u8 asymmetric activations and weights, per tensor, half-even',
  claims: [SAME],
};

/** Input of the built-in profile `rv1126-dfp-i8` (see the file comment for its sources and choices). */
export const RV1126_DFP_I8: ProfileInput = {
  name: 'rv1126-dfp-i8',
  extends: 'rk1808-dfp-i8',
  description: 'RV1126 (RKNN-Toolkit1) dynamic_fixed_point-i8: s8 power-of-two scales, shift-only requant',
  claims: [SAME],
};

/** Input of the built-in profile `rv1126-dfp-i16` (see the file comment for its sources and choices). */
export const RV1126_DFP_I16: ProfileInput = {
  name: 'rv1126-dfp-i16',
  extends: 'rk1808-dfp-i16',
  description: 'RV1126 (RKNN-Toolkit1) dynamic_fixed_point-i16: s16 power-of-two scales, shift-only requant',
  claims: [SAME],
};
