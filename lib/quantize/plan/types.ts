/**
 * The quantization plan: what quantize() decides for one float graph and one chip profile, before
 * anything is executed or exported. Plain data (JSON-serializable through quant_params.json), so a
 * plan can be written, edited (hybrid step 2) and replayed without calibrating again.
 */
import type { FloatRange, QuantDType } from '../params';
import type { BiasDType, OpExecution, Precision } from '../profile';
import type { RequantParams } from '../requant-params';

/** Quantization of one tensor: one entry per tensor, or per channel along `axis`. */
export interface TensorQuant {
  dtype: QuantDType;
  scale: number[];
  zeroPoint: number[];
  /** Channel axis of per-channel parameters (weights). */
  axis?: number;
  /** Integer range values are clamped to (narrow ranges, reduce_range). */
  qmin: number;
  qmax: number;
}

/** A Relu / Clip folded into its producer's requantization clamp. */
export interface FusedActivation {
  node: string;
  opType: string;
  /** Clip bounds in float (Relu: min 0). */
  min?: number;
  max?: number;
}

/** What the plan decided for one node of the float graph. */
export interface NodeQuant {
  name: string;
  opType: string;
  /** How the node runs: integer kernel, lookup table, float between dequantize/quantize, or left float. */
  execution: OpExecution;
  /**
   * The precision it computes in: an integer type for integer and lookup-table nodes (the type of
   * its activations), float16/bfloat16/float32 for float nodes.
   */
  precision: Precision;
  /** The Relu/Clip folded into this node's clamp. */
  activation?: FusedActivation;
  /** For a Relu/Clip folded into its producer: the producer's name. */
  fusedInto?: string;
  /** Quantized constant weights (Conv, Gemm, MatMul). */
  weight?: { tensor: string; quant: TensorQuant; values: number[] };
  /** Integer bias in accumulator units: scale `float32(s_in * s_w[c])` per channel, zero point 0. */
  bias?: { tensor: string; dtype: BiasDType; values: number[]; scale: number[] };
  /** Requantization of the accumulator to the output. */
  requant?: RequantParams;
  /** Integer clamp of the output (the type's range, or narrower for a fused activation). */
  clamp?: { qmin: number; qmax: number };
  /**
   * `exact`: the engine reproduces the chip's integers; `fake_quant`: no integer kernel exists for
   * this case, so the node runs in float on dequantized weights and inputs, then quantizes (close to
   * the chip, not bit-exact). `note` says why.
   */
  emulation: 'exact' | 'fake_quant';
  note?: string;
}

/** A complete plan. */
export interface QuantPlan {
  /** Chip profile name. */
  target: string;
  /**
   * Home quantization of every activation tensor that is quantized, by float tensor name (the
   * parameters its producer writes; consumers in another precision convert from it).
   */
  tensors: Map<string, TensorQuant>;
  /** Calibrated float ranges the tensor parameters came from (absent when loaded from parameters). */
  ranges: Map<string, FloatRange>;
  /** Per node of the float graph (fused activations included, marked `fusedInto`). */
  nodes: Map<string, NodeQuant>;
}

/** Per-tensor or per-layer user choices. */
export interface QuantOverrides {
  /** Precision per node name (hybrid quantization): `int16`, `float16`, `float32`, ... */
  precision?: Record<string, Precision>;
  /** Fixed float ranges per tensor name, replacing calibration. */
  ranges?: Record<string, FloatRange>;
}
