/**
 * Encodes a compiled plan for NativeSession.create (layout in native/binding/encoded-plan.h): every
 * number in one Float64Array, every string in one UTF-8 buffer, constant tensors as their own
 * views. The engine decodes it on a worker thread; reading a plan object field by field instead
 * costs one N-API call per field on the calling thread (about 45 ms for PP-OCRv4 det's analysis
 * graph). Written as steps (one per tensor and per node) so Session encodes in time slices.
 */
import type { NativeEncodedPlan, NativePlan } from '../../typings/native';
import { runSteps, type Steps } from '../ir/steps';

const KIND_NUMBER = 0;
const KIND_STRING = 1;
const KIND_NUMBERS = 2;

/** {@link encodePlan} as steps, for time-sliced callers (lib/ir/steps.ts). */
export function* encodePlanSteps(plan: NativePlan): Steps<NativeEncodedPlan> {
  const meta: number[] = [1, plan.tensors.length, plan.nodes.length, plan.inputs.length, plan.outputs.length, plan.arenaBytes];
  const parts: string[] = [];
  const where = new Map<string, number>();
  let textBytes = 0;
  const str = (s: string) => {
    let off = where.get(s);
    const len = Buffer.byteLength(s, 'utf8');
    if (off === undefined) {
      off = textBytes;
      where.set(s, off);
      parts.push(s);
      textBytes += len;
    }
    meta.push(off, len);
  };
  const data: ArrayBufferView[] = [];
  for (const t of plan.tensors) {
    meta.push(t.dtype, t.shape.length, ...t.shape);
    if (t.data !== undefined && t.data !== null) {
      meta.push(data.length, 0);
      data.push(t.data);
    } else {
      meta.push(-1, t.offset ?? 0);
    }
    yield;
  }
  for (const n of plan.nodes) {
    str(n.op);
    str(n.name ?? '');
    meta.push(n.inputs.length, ...n.inputs, n.outputs.length, ...n.outputs);
    const keys = Object.keys(n.attrs);
    meta.push(keys.length);
    for (const k of keys) {
      str(k);
      const v = n.attrs[k];
      if (typeof v === 'number') meta.push(KIND_NUMBER, v);
      else if (typeof v === 'string') {
        meta.push(KIND_STRING);
        str(v);
      } else {
        meta.push(KIND_NUMBERS, v.length);
        for (const x of v) meta.push(x);
      }
    }
    yield;
  }
  meta.push(...plan.inputs, ...plan.outputs);
  const text = Buffer.from(parts.join(''), 'utf8');
  return { meta: Float64Array.from(meta), text: new Uint8Array(text.buffer, text.byteOffset, text.byteLength), data };
}

/** Encodes a plan at once (see encodePlanSteps). */
export function encodePlan(plan: NativePlan): NativeEncodedPlan {
  return runSteps(encodePlanSteps(plan));
}
