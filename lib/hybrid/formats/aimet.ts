/**
 * AIMET / Qualcomm QNN (SNPE) encodings JSON, as AIMET exports it and `qnn-onnx-converter
 * --quantization_overrides` reads it:
 *
 * ```json
 * {
 *   "version": "0.6.1",
 *   "activation_encodings": {
 *     "input": [{ "bitwidth": 8, "dtype": "int", "is_symmetric": "False", "max": 0.996, "min": 0.0, "offset": 0, "scale": 0.0039 }],
 *     "/head/Gemm_output_0": [{ "bitwidth": 16, "dtype": "float" }]
 *   },
 *   "param_encodings": { "conv1.weight": [ { ... channel 0 ... }, { ... channel 1 ... } ] },
 *   "excluded_layers": []
 * }
 * ```
 *
 * Sources: quantization-facts.md section 6 (`activation_encodings` / `param_encodings`, enc =
 * bitwidth, is_symmetric "True"|"False", max, min, offset, scale; several entries = per-channel),
 * AIMET's encoding format 0.6.1 (`dtype` "int" | "float", `excluded_layers`).
 *
 * Mapping [assumptions stated]:
 * - AIMET stores every integer grid as unsigned with `real = (q + offset) * scale`, q in
 *   [0, 2^bitwidth - 1]. `is_symmetric: "True"` is read as the signed type with zero point
 *   `-offset - 2^(bitwidth-1)` (0 for AIMET's symmetric offset -128 / -32768); `"False"` as the
 *   unsigned type with zero point `-offset`. A signed asymmetric tensor is therefore written as
 *   the same grid in the unsigned type (zero point + 2^(bitwidth-1)) and read back unsigned.
 * - `min`/`max` are written as the grid's range (AIMET's convention) and not read back; the file
 *   keeps dtype, scale, zero point, and channel count (the axis comes from the consumer).
 * - Layer precisions come from the encodings of a node's outputs: `dtype: "float"` with bitwidth
 *   16 / 32 is float16 / float32; an integer encoding is (u)int<bitwidth>. Precisions in `baseline`
 *   (default uint8 and int8, the 8-bit default of QNN HTP) are not listed in `layers`.
 *   `excluded_layers` are float32.
 * - Writing: a float layer's outputs get `{ bitwidth: 16|32, dtype: "float" }`; an integer layer
 *   whose output has no `tensors` entry gets `{ bitwidth, dtype: "int", is_symmetric }` without
 *   scale, so the converter calibrates it [unverified: that QNN accepts an override without
 *   min/max/scale]. bfloat16 cannot be written.
 * - The list-shaped format of AIMET 2 (version 1.0.0) is not read.
 */
import { NpuqError } from '../../errors';
import type { Graph } from '../../ir/graph';
import type { Precision } from '../../quantize/profile';
import { type HybridConfig, type HybridConfigPart, type TensorParams, checkTensorParams } from '../config';
import {
  type GraphIndex, type ReadOptions, badConfig, bitsOf, channelAxis, checkChannels, dtypeOf, indexGraph, isRecord, nodeNamed,
  parseRelaxedJson, valueNamed,
} from './common';

/** Options of {@link readAimet}. */
export interface AimetReadOptions extends ReadOptions {
  /** Precisions not listed in `layers` (the default the rest of the model runs in). Default `['uint8', 'int8']`. */
  baseline?: readonly Precision[];
}

interface Encoding {
  bitwidth: number;
  dtype: 'int' | 'float';
  symmetric: boolean;
  scale?: number;
  offset?: number;
}

const ENC_KEYS = ['bitwidth', 'dtype', 'is_symmetric', 'max', 'min', 'offset', 'scale'];

function readEncoding(v: unknown, where: string, file: string): Encoding {
  if (!isRecord(v)) throw badConfig(where, 'an encoding must be an object', file);
  for (const k of Object.keys(v)) if (!ENC_KEYS.includes(k)) throw badConfig(where, `unknown encoding key "${k}"; expected ${ENC_KEYS.join(', ')}`, file);
  const bitwidth = v.bitwidth;
  if (typeof bitwidth !== 'number' || !Number.isInteger(bitwidth)) throw badConfig(where, 'bitwidth must be an integer', file);
  const dtype = v.dtype ?? 'int';
  if (dtype !== 'int' && dtype !== 'float') throw badConfig(where, `dtype must be "int" or "float", not ${JSON.stringify(dtype)}`, file);
  const sym = v.is_symmetric ?? 'False';
  if (sym !== 'True' && sym !== 'False' && typeof sym !== 'boolean') throw badConfig(where, `is_symmetric must be "True" or "False", not ${JSON.stringify(sym)}`, file);
  const e: Encoding = { bitwidth, dtype, symmetric: sym === 'True' || sym === true };
  if (v.scale !== undefined || v.offset !== undefined) {
    if (typeof v.scale !== 'number' || !(v.scale > 0) || typeof v.offset !== 'number' || !Number.isInteger(v.offset)) {
      throw badConfig(where, 'scale must be a positive number and offset an integer (both, or neither)', file);
    }
    e.scale = v.scale;
    e.offset = v.offset;
  }
  return e;
}

function precisionOf(e: Encoding, where: string, file: string): Precision {
  if (e.dtype === 'float') {
    if (e.bitwidth === 16) return 'float16';
    if (e.bitwidth === 32) return 'float32';
    throw badConfig(where, `float encodings of ${e.bitwidth} bits are not supported; use 16 or 32`, file);
  }
  return dtypeOf(e.bitwidth, e.symmetric, where, file);
}

function tensorParams(ix: GraphIndex, name: string, encs: Encoding[], where: string, file: string): TensorParams | undefined {
  const first = encs[0];
  if (first.dtype === 'float' || first.scale === undefined) return undefined;
  const dtype = dtypeOf(first.bitwidth, first.symmetric, where, file);
  const half = first.symmetric ? 2 ** (first.bitwidth - 1) : 0;
  const t: TensorParams = { dtype, scale: [], zeroPoint: [] };
  for (const e of encs) {
    if (e.bitwidth !== first.bitwidth || e.symmetric !== first.symmetric || e.dtype !== 'int' || e.scale === undefined) {
      throw badConfig(where, 'per-channel encodings must share bitwidth, dtype and is_symmetric, and all carry scale and offset', file);
    }
    t.scale.push(e.scale);
    t.zeroPoint.push(0 - (e.offset! + half) || 0);
  }
  if (encs.length > 1) t.axis = channelAxis(ix, name);
  checkTensorParams(name, t, where);
  checkChannels(ix, name, t, where, file);
  return t;
}

/** Reads AIMET / QNN encodings into `tensors` and `layers` (see the file comment). */
export function readAimet(text: string, graph: Graph, opts: AimetReadOptions = {}): HybridConfigPart {
  const file = opts.file ?? 'encodings';
  const baseline = opts.baseline ?? ['uint8', 'int8'];
  const ix = indexGraph(graph);
  const json = parseRelaxedJson(text, file, file);
  if (!isRecord(json)) throw badConfig(file, 'expected an object with activation_encodings and param_encodings', file);
  if (Array.isArray(json.activation_encodings) || Array.isArray(json.param_encodings)) {
    throw badConfig(file, `the list-shaped encodings of AIMET 2 (version ${JSON.stringify(json.version)}) are not supported; export the 0.6.1 format`, file);
  }
  const part: HybridConfigPart = { layers: {}, tensors: {} };
  for (const section of ['activation_encodings', 'param_encodings'] as const) {
    const encs = json[section] ?? {};
    if (!isRecord(encs)) throw badConfig(file, `${section} must map tensor names to encodings`, file);
    for (const [name, raw] of Object.entries(encs)) {
      const where = `${file}: ${section}["${name}"]`;
      valueNamed(ix, name, where, file);
      const list = (Array.isArray(raw) ? raw : [raw]).map((e, i) => readEncoding(e, `${where}[${i}]`, file));
      if (list.length === 0) throw badConfig(where, 'has no encoding', file);
      const t = tensorParams(ix, name, list, where, file);
      if (t) part.tensors![name] = t;
      const producer = section === 'activation_encodings' ? ix.producer.get(name) : undefined;
      if (!producer) continue;
      const p = precisionOf(list[0], where, file);
      const prev = part.layers[producer.name];
      if (prev !== undefined && prev !== p) throw badConfig(where, `outputs of ${producer.describe()} have different precisions, ${prev} and ${p}`, file);
      if (!baseline.includes(p)) part.layers[producer.name] = p;
    }
  }
  const excluded = json.excluded_layers ?? [];
  if (!Array.isArray(excluded) || !excluded.every((s) => typeof s === 'string')) throw badConfig(file, 'excluded_layers must be a list of layer names', file);
  for (const name of excluded) part.layers[nodeNamed(ix, name, `${file}: excluded_layers`, file).name] = 'float32';
  return part;
}

function intEncodings(t: TensorParams): Record<string, unknown>[] {
  const bits = bitsOf(t.dtype);
  const signed = t.dtype.startsWith('int');
  const half = signed ? 2 ** (bits - 1) : 0;
  const levels = 2 ** bits - 1;
  return t.scale.map((scale, i) => {
    const offset = -(t.zeroPoint[i] + half);
    return {
      bitwidth: bits, dtype: 'int', is_symmetric: signed && t.zeroPoint[i] === 0 ? 'True' : 'False',
      max: (levels + offset) * scale, min: offset * scale, offset, scale,
    };
  });
}

/** Writes `cfg` as AIMET / QNN encodings (see the file comment for the mapping). */
export function writeAimet(cfg: HybridConfig | HybridConfigPart, graph: Graph): string {
  const ix = indexGraph(graph);
  const where = 'AIMET encodings';
  const activations: Record<string, unknown[]> = {};
  const params: Record<string, unknown[]> = {};
  for (const [name, t] of Object.entries(cfg.tensors ?? {})) {
    valueNamed(ix, name, where);
    checkTensorParams(name, t, where);
    (ix.initializers.has(name) ? params : activations)[name] = intEncodings(t);
  }
  for (const [name, p] of Object.entries(cfg.layers)) {
    const node = nodeNamed(ix, name, where);
    for (const out of node.outputs.filter((o) => o)) {
      const t = cfg.tensors?.[out];
      if (p === 'float16' || p === 'float32') {
        if (t) throw badConfig(where, `layer "${name}" is ${p} but its output "${out}" has integer parameters`);
        activations[out] = [{ bitwidth: p === 'float16' ? 16 : 32, dtype: 'float' }];
      } else if (p === 'bfloat16') {
        throw new NpuqError('UNSUPPORTED_PRECISION', `${where} cannot express precision bfloat16 (layer "${name}"); it can express int8, uint8, int16, uint16, float16, float32`);
      } else if (t) {
        const bitsMatch = bitsOf(t.dtype) === bitsOf(p as TensorParams['dtype']);
        if (!bitsMatch) throw badConfig(where, `layer "${name}" is ${p} but its output "${out}" has ${t.dtype} parameters`);
      } else {
        const signed = p.startsWith('int');
        activations[out] = [{ bitwidth: bitsOf(p as TensorParams['dtype']), dtype: 'int', is_symmetric: signed ? 'True' : 'False' }];
      }
    }
  }
  return `${JSON.stringify({ version: '0.6.1', activation_encodings: activations, param_encodings: params, excluded_layers: [] }, null, 2)}\n`;
}
