/** Chip profiles and the quantization-parameter helpers derived from them. */
export * from './profile';
export { getProfile, listProfiles, defineProfile, profileAliases } from './targets/index';
export { profileTable, inferredSummary } from './targets/table';
export { checkProfile, resolveWeightSpec } from './define';
export { opExecution, canFuseActivation, fusedClampRange } from './resolve';
export * from './params';
export { roundMode, rshiftRound, frexp, quantizeMultiplier, roundingModeIndex, type QuantizedMultiplier } from './rounding';
export { editDistance, closest } from './suggest';
export { buildLut, LUT_FUNCTIONS, type LutSide } from './lut';
