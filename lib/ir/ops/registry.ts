/**
 * The table of every operator the IR knows: getOpDef looks one up by type and domain, and
 * supportedOpTypes lists them (for messages and `npuquant inspect`).
 */
import { ACTIVATION_OPS } from './activation';
import { CONV_OPS } from './conv';
import { DEPTH_OPS } from './depth';
import { ELEMENTWISE_OPS } from './elementwise';
import { GEMM_OPS } from './gemm';
import { GENERATE_OPS } from './generate';
import { NORM_OPS } from './norm';
import { PAD_OPS } from './pad';
import { QUANT_OPS } from './quant';
import { NPUQ_DOMAIN, NPUQ_OPS } from './npuq';
import { POOL_OPS } from './pool';
import { REDUCE_OPS } from './reduce';
import { RESIZE_OPS } from './resize';
import { SHAPE_OPS } from './shape';
import { SLICE_OPS } from './slice';
import type { OpDef } from './types';

const TABLE = new Map<string, OpDef>();
for (const family of [
  CONV_OPS, GEMM_OPS, NORM_OPS, ACTIVATION_OPS, ELEMENTWISE_OPS, REDUCE_OPS, POOL_OPS, SHAPE_OPS, SLICE_OPS,
  GENERATE_OPS, PAD_OPS, RESIZE_OPS, DEPTH_OPS, QUANT_OPS,
]) {
  for (const def of family) {
    if (TABLE.has(def.opType)) throw new Error(`Operator ${def.opType} is defined twice`);
    TABLE.set(def.opType, def);
  }
}

/** The engine's integer ops (domain `npuquant`), used by emulation graphs of quantized models. */
const NPUQ_TABLE = new Map<string, OpDef>(NPUQ_OPS.map((d) => [d.opType, d]));

/**
 * The definition of an operator, or undefined when npuquant does not support it.
 * @param opType ONNX operator type, e.g. "Conv".
 * @param domain Operator domain; '' (default) and 'ai.onnx' both mean the standard ONNX domain.
 */
export function getOpDef(opType: string, domain = ''): OpDef | undefined {
  if (domain === NPUQ_DOMAIN) return NPUQ_TABLE.get(opType);
  if (domain !== '' && domain !== 'ai.onnx') return undefined;
  return TABLE.get(opType);
}

/** Every supported ONNX operator type (standard domain), sorted. */
export function supportedOpTypes(): string[] {
  return [...TABLE.keys()].sort();
}
