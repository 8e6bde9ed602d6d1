/**
 * Dequantize-first integer layers (profile `requant.dequantizeFirst`: ncnn, SpacemiT K1 / XQuant):
 * the int32 accumulator of a Conv/Gemm/MatMul is turned into float, the float32 bias added, the fused
 * activation applied in float, and the result quantized with the output's parameters:
 *
 *     v = float32(float32(acc * dq[c]) + bias[c]);  v = act(v);
 *     ncnn (reciprocalScales):  q = clamp(round(float32(v * r_out)), qmin, qmax), r_out = float32(1 / s_out)
 *     otherwise (QDQ):          q = clamp(round(float32(v / s_out)) + zp, qmin, qmax)
 *
 * with `dq[c] = float32(1 / float32(r_in * r_w[c]))` (ncnn: `scale_in = 1 / (bottom_scale *
 * weight_scale)`, r = float32(1 / s)) or `float32(s_in * s_w[c])`; a zero weight scale gives 0.
 * Source for ncnn: requantize.cpp (`v = int * scale_in + bias; activation_ss; float2int8(v *
 * scale_out)`, float2int8 = round() half away from zero, clamp to [-127, 127]).
 */
import type { ChipProfile } from './profile';

/** float32(1 / s): the reciprocal scale ncnn stores. */
export const reciprocal = (s: number): number => (s === 0 ? 0 : Math.fround(1 / s));

/** The dequantization factor of each output channel's accumulator (see the file comment). */
export function dequantizeFactors(profile: ChipProfile, inputScale: number, weightScales: readonly number[]): number[] {
  return weightScales.map((sw) => {
    if (sw === 0 || inputScale === 0) return 0;
    if (!profile.requant.reciprocalScales) return Math.fround(inputScale * sw);
    return Math.fround(1 / Math.fround(reciprocal(inputScale) * reciprocal(sw)));
  });
}
