/**
 * Per-node questions answered from a profile: how an op executes, whether an activation fuses into
 * its producer's requant clamp, and what that clamp is.
 */
import type { ActivationNode, ChipProfile, OpExecution, OpNode, RoundingMode } from './profile';
import type { IntRange, QuantParams } from './params';
import { roundMode } from './rounding';

export { resolveWeightSpec } from './define';

/** How `op` executes under `p`: the `opExecution` hook, then `ops.byOp`, then `ops.default`. */
export function opExecution(p: ChipProfile, op: OpNode | string): OpExecution {
  const node: OpNode = typeof op === 'string' ? { opType: op, attributes: {} } : op;
  const hooked = p.hooks.opExecution?.(node);
  if (hooked !== undefined) return hooked;
  return p.ops.byOp[node.opType] ?? p.ops.default;
}

/** Whether activation `act` fuses into its producer's requant clamp under `p`. */
export function canFuseActivation(p: ChipProfile, act: ActivationNode): boolean {
  if (!p.fusedActivations.includes(act.opType)) return false;
  return p.hooks.fuseActivation?.(act) ?? true;
}

/**
 * The integer clamp a fused Relu/Clip puts on an output with parameters `q`: `[max(qmin, zp +
 * round(lo / s)), min(qmax, zp + round(hi / s))]` (TFLite CalculateActivationRangeQuantized).
 * @param rounding Rounding of the bounds (the profile's `rounding.input`). Default `'half_to_even'`.
 */
export function fusedClampRange(q: QuantParams, act: ActivationNode, rounding: RoundingMode = 'half_to_even'): IntRange {
  const lo = act.opType === 'Relu' ? 0 : act.min;
  const hi = act.opType === 'Relu' ? undefined : act.max;
  const at = (v: number): number => q.zeroPoint + roundMode(v / q.scale, rounding);
  return {
    qmin: lo === undefined || !Number.isFinite(lo) ? q.qmin : Math.max(q.qmin, Math.min(q.qmax, at(lo))),
    qmax: hi === undefined || !Number.isFinite(hi) ? q.qmax : Math.min(q.qmax, Math.max(q.qmin, at(hi))),
  };
}
