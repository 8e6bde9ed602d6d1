/**
 * Hybrid (mixed-precision) quantization: step 1 / step 2, the automatic search, and every config format.
 * This file only re-exports.
 */
export { step1, step2, readConfigFile, tensorParams, type Step1Options, type Step1Result, type Step2Options, type Step2Result, type SuggestStrategy } from './steps';
export { searchMixedPrecision, withPrecisions, type SearchGoal, type SearchOptions, type SearchPoint, type SearchResult } from './search';
export { validateConfig, mergeConfig, type HybridConfig, type HybridConfigPart, type TensorParams } from './config';
export { readYamlConfig, writeYamlConfig } from './yaml-config';
export { HYBRID_FORMATS, detectFormat, getFormat, type HybridFormat } from './formats/index';
