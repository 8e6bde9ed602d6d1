/** Advanced PTQ: cross-layer equalization, SmoothQuant, bias correction, AdaRound. This file only re-exports. */
export { crossLayerEqualization, findCleChains, CLE_PASS, type CleOptions } from './cle';
export { smoothQuant, smoothQuantStatistics, applySmoothQuant, findSmoothQuantChains, type SmoothQuantOptions } from './smoothquant';
export { correctBiases, type BiasCorrectionMode, type BiasCorrectionLayer, type BiasCorrectionOptions } from './bias-correction';
export { adaRound, type AdaRoundOptions, type AdaRoundLayer } from './adaround';
export type { PtqOptions, PtqStep } from './apply';
