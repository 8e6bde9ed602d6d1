/**
 * The fusions Session applies besides BatchNorm folding, under their original module name:
 * foldConvAdd (constant Mul/Add/Sub/Div after a Conv into its weights and bias, see
 * fold-conv-affine.ts) and fuseHardSwish (exported HardSwish patterns into one node, see
 * hardswish.ts).
 */
export { foldConvAdd } from './fold-conv-affine';
export { fuseHardSwish, matchHardSwish, type HardSwishMatch } from './hardswish';
