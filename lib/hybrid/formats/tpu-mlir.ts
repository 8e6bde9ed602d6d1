/**
 * TPU-MLIR (Sophgo BM1684/BM1684X/CV18xx) mixed-precision files:
 *
 * - the quantize table (`--quantize_table`, written by `run_qtable` / `search_qtable`):
 *   ```text
 *   # op_name   quantize_mode
 *   /features/features.8/Conv_output_0 F16
 *   ```
 *   modes INT8 | F16 | BF16 | F32. TPU-MLIR names an op by its output tensor (its location), so
 *   reading maps a name to the node producing that tensor (a node name is accepted too), and
 *   writing names each layer by its first output.
 * - the calibration table (`run_calibration.py -o`):
 *   ```text
 *   # op_name    threshold    min    max
 *   images 1.0000080 0.0000000 1.0000080
 *   ```
 *   one line per activation tensor; lines starting with `#` are comments.
 *
 * Sources: TPU-MLIR docs (model_deploy `--quantize_table`, run_calibration sample table: "the
 * first column is the name of the Tensor; the second column is the threshold (for symmetric
 * quantization); the third and fourth columns are min/max, used for asymmetric quantization"),
 * TPU-MLIR ImportCalibrationTable (line pattern `\S+\s+[-0-9.e]+\s+[-0-9.e]+\s+[-0-9.e]+`, `#`
 * lines skipped), quantization-facts.md section 6.
 *
 * Calibration-table mapping: reading gives symmetric parameters as TPU-MLIR derives them
 * (`getScale`: threshold / 127 signed, threshold / 255 unsigned for a non-negative min when
 * `unsignedWhenNonNegative`), with `min`/`max` kept. Writing takes the threshold from a symmetric
 * tensor's grid (scale * qmax) and otherwise from max(|min|, |max|); numbers keep all their digits.
 * Weights (initializers) are not written: TPU-MLIR computes weight scales itself. The
 * `#weight_scale` and `#int4_th` sections of QAT tables are rejected.
 */
import type { Graph } from '../../ir/graph';
import { type HybridConfig, type HybridConfigPart, type TensorParams, checkTensorParams, unknownNamesError } from '../config';
import { type ReadOptions, PrecisionVocabulary, badConfig, firstOutput, formatNumber, fullRange, gridRange, indexGraph, nodeByOutputOrName, nodeNamed } from './common';

/** TPU-MLIR quantize modes (INT8 is read back as int8). */
export const TPU_MLIR_PRECISIONS = new PrecisionVocabulary('TPU-MLIR qtable', [
  ['int8', 'INT8'], ['uint8', 'INT8'], ['float16', 'F16'], ['bfloat16', 'BF16'], ['float32', 'F32'],
]);

interface Line {
  no: number;
  fields: string[];
  comment?: string;
}

/** Non-empty, non-comment lines split on whitespace; `onComment` sees `#` lines. */
function lines(text: string, onComment?: (line: string, no: number) => void): Line[] {
  const out: Line[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      onComment?.(line, i + 1);
      return;
    }
    const hash = line.indexOf('#');
    const body = hash >= 0 ? line.slice(0, hash).trim() : line;
    const comment = hash >= 0 ? line.slice(hash + 1).trim() : undefined;
    out.push({ no: i + 1, fields: body.split(/\s+/), ...(comment ? { comment } : {}) });
  });
  return out;
}

/**
 * Reads a TPU-MLIR quantize table into `layers` (a trailing `# comment` on a line becomes the
 * layer's comment). Unknown op names are UNKNOWN_LAYER naming the closest tensor / node names.
 */
export function readTpuQtable(text: string, graph: Graph, opts: ReadOptions = {}): HybridConfigPart {
  const file = opts.file ?? 'qtable';
  const ix = indexGraph(graph);
  const part: HybridConfigPart = { layers: {} };
  for (const l of lines(text)) {
    const where = `${file}:${l.no}`;
    if (l.fields.length !== 2) throw badConfig(where, `expected "<op_name> <quantize_mode>", got ${l.fields.length} fields`, file);
    const [name, mode] = l.fields;
    const node = nodeByOutputOrName(ix, name, where, file);
    const p = TPU_MLIR_PRECISIONS.read(mode, where, file);
    if (node.name in part.layers && part.layers[node.name] !== p) throw badConfig(where, `op "${name}" is set twice, to ${part.layers[node.name]} and ${p}`, file);
    part.layers[node.name] = p;
    if (l.comment) (part.comments ??= {})[node.name] = l.comment;
  }
  return part;
}

function checkName(name: string, what: string): void {
  if (/\s|#/.test(name)) throw badConfig('TPU-MLIR table', `${what} "${name}" contains whitespace or '#', which the line format cannot hold`);
}

/** Writes `cfg.layers` as a TPU-MLIR quantize table, each layer named by its first output (comments on the line before). */
export function writeTpuQtable(cfg: HybridConfig | HybridConfigPart, graph: Graph): string {
  const ix = indexGraph(graph);
  const out = ['# quantize table written by npuquant', '# op_name   quantize_mode'];
  for (const [name, p] of Object.entries(cfg.layers)) {
    const op = firstOutput(nodeNamed(ix, name, 'TPU-MLIR qtable'));
    checkName(op, 'op');
    const c = cfg.comments?.[name];
    if (c !== undefined && c.trim() !== '') out.push(`# ${c.replace(/\s*\n\s*/g, '; ').trim()}`);
    out.push(`${op} ${TPU_MLIR_PRECISIONS.write(p, name)}`);
  }
  return `${out.join('\n')}\n`;
}

/** Options of {@link readTpuCalTable}. */
export interface TpuCalReadOptions extends ReadOptions {
  /** A tensor whose min is >= 0 gets uint8 and threshold / 255 (TPU-MLIR `getQuantInt8Type`). Default true. */
  unsignedWhenNonNegative?: boolean;
}

/** Reads a TPU-MLIR calibration table into `tensors` (see the file comment for the mapping). */
export function readTpuCalTable(text: string, graph: Graph, opts: TpuCalReadOptions = {}): HybridConfigPart {
  const file = opts.file ?? 'cali_table';
  const ix = indexGraph(graph);
  const tensors: Record<string, TensorParams> = {};
  const body = lines(text, (line, no) => {
    if (/^#\s*(weight_scale|int4_th)\b/.test(line)) {
      throw badConfig(`${file}:${no}`, `the ${line.slice(1).trim()} section of QAT calibration tables is not supported; keep only "<tensor> <threshold> <min> <max>" lines`, file);
    }
  });
  for (const l of body) {
    const where = `${file}:${l.no}`;
    if (l.fields.length !== 4) throw badConfig(where, `expected "<tensor> <threshold> <min> <max>", got ${l.fields.length} fields`, file);
    const [name, ...nums] = l.fields;
    const [threshold, min, max] = nums.map((s) => {
      const v = Number(s);
      if (!/^[-+0-9.eE]+$/.test(s) || !Number.isFinite(v)) throw badConfig(where, `"${s}" is not a number`, file);
      return v;
    });
    if (!ix.values.has(name)) throw unknownNamesError('UNKNOWN_TENSOR', where, 'tensor', [name], [...ix.values], file);
    if (!(threshold > 0)) throw badConfig(where, `threshold of "${name}" must be positive, not ${threshold}`, file);
    if (min > max) throw badConfig(where, `min ${min} > max ${max} for "${name}"`, file);
    const unsigned = (opts.unsignedWhenNonNegative ?? true) && min >= 0;
    tensors[name] = { dtype: unsigned ? 'uint8' : 'int8', scale: [threshold / (unsigned ? 255 : 127)], zeroPoint: [0], min, max };
  }
  return { layers: {}, tensors };
}

/** The symmetric threshold of per-tensor parameters. */
export function tpuThreshold(t: TensorParams): number {
  if (t.zeroPoint[0] === 0) return t.scale[0] * fullRange(t.dtype).qmax;
  const r = t.min !== undefined && t.max !== undefined ? { min: t.min, max: t.max } : gridRange(t);
  return Math.max(Math.abs(r.min), Math.abs(r.max));
}

/** Writes the activation tensors of `cfg.tensors` as a TPU-MLIR calibration table. */
export function writeTpuCalTable(cfg: HybridConfig | HybridConfigPart, graph: Graph): string {
  const ix = indexGraph(graph);
  const out = ['# calibration table written by npuquant', '###', '# op_name    threshold    min    max'];
  for (const [name, t] of Object.entries(cfg.tensors ?? {})) {
    if (!ix.values.has(name)) throw unknownNamesError('UNKNOWN_TENSOR', 'TPU-MLIR calibration table', 'tensor', [name], [...ix.values]);
    if (ix.initializers.has(name)) continue;
    checkTensorParams(name, t, 'TPU-MLIR calibration table');
    checkName(name, 'tensor');
    if (t.scale.length !== 1) throw badConfig('TPU-MLIR calibration table', `tensor "${name}" has per-channel parameters; a calibration table holds one range per tensor`);
    const r = t.min !== undefined && t.max !== undefined ? { min: t.min, max: t.max } : gridRange(t);
    out.push(`${name} ${formatNumber(tpuThreshold(t))} ${formatNumber(r.min)} ${formatNumber(r.max)}`);
  }
  return `${out.join('\n')}\n`;
}
