/**
 * `npuquant export QDIR --format F [--out FILE]`: (re-)writes one export of a quantized-model folder
 * written by `npuquant quantize` (model.float.onnx + quant_params.json; the plan is replayed, not
 * calibrated again).
 *
 * Formats:
 * - `qdq`: the QDQ ONNX model onnxruntime runs (lib/export/qdq.ts); default file QDIR/model.qdq.onnx.
 * - `quant-params`: quant_params.json (every tensor's dtype, scales, zero points, range; every node's
 *   precision); default file QDIR/quant_params.json.
 * - every hybrid config format of lib/hybrid/formats (npuquant, rknn2, rknn1, tpu-mlir-qtable,
 *   tpu-mlir-cali, pulsar2, xquant, aimet): the raised layers and every tensor's parameters.
 *
 * `--out` names the file; an existing directory gets the default file name inside it.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from 'commander';
import { NpuqError } from '../../errors';
import { toQdqModel } from '../../export/qdq';
import { saveModel } from '../../io/onnx';
import { loadQuantized } from '../../quantize/quantize';
import type { QuantizedModel } from '../../quantize/quantized-model';
import type { Precision } from '../../quantize/profile';
import type { HybridConfig } from '../../hybrid/config';
import { HYBRID_FORMATS } from '../../hybrid/formats/index';
import { tensorParams } from '../../hybrid/steps';

interface ExportFormat {
  /** File name written into the quantized folder (or an --out directory). */
  file: string;
  describe: string;
  write(qm: QuantizedModel, file: string): Promise<void>;
}

// Default file names of the hybrid config formats (lib/hybrid/formats) as exports of a folder's plan.
const VENDOR_FILE: Readonly<Record<string, string>> = {
  npuquant: 'model.quantization.yaml', rknn2: 'quantization.cfg', rknn1: 'quantization.cfg', 'tpu-mlir-qtable': 'qtable',
  'tpu-mlir-cali': 'cali_table', pulsar2: 'layer_configs.json', xquant: 'custom_setting.json', aimet: 'model.encodings',
};

function writeText(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (e) {
    throw new NpuqError('FILE_WRITE', `cannot write ${file}: ${(e as Error).message}`, { file, cause: e });
  }
}

const VENDOR_FORMATS: Record<string, ExportFormat> = Object.fromEntries(HYBRID_FORMATS.map((f) => [f.name, {
  file: VENDOR_FILE[f.name] ?? `${f.name}.txt`,
  describe: f.describe,
  write: async (qm: QuantizedModel, file: string) => writeText(file, f.write(configOf(qm), qm.graph)),
}]));

/** Formats of `npuquant export --format`, by name. */
export const EXPORT_FORMATS: Readonly<Record<string, ExportFormat>> = {
  qdq: {
    file: 'model.qdq.onnx',
    describe: 'QDQ ONNX model (QuantizeLinear/DequantizeLinear pairs) that onnxruntime runs',
    write: (qm, file) => saveModel(toQdqModel(qm), file),
  },
  'quant-params': {
    file: 'quant_params.json',
    describe: "npuquant's quant_params.json: every tensor's dtype, scales, zero points and range, every node's precision",
    write: async (qm, file) => writeText(file, `${JSON.stringify(qm.quantParams(), null, 1)}\n`),
  },
  ...VENDOR_FORMATS,
};

/**
 * The hybrid config a quantized folder stands for: the target, every layer whose precision is not the
 * target's default activation type, and every tensor's parameters.
 */
export function configOf(qm: QuantizedModel): HybridConfig {
  const layers: Record<string, Precision> = {};
  for (const n of qm.plan.nodes.values()) {
    if (n.fusedInto !== undefined || n.execution === 'keep_float') continue;
    if (n.precision !== qm.profile.activation.dtype) layers[n.name] = n.precision;
  }
  return { target: qm.profile.name, layers, tensors: tensorParams(qm) };
}

/** Where `--out` (or its absence) puts the file of `format`. */
export function exportTarget(qdir: string, format: ExportFormat, out: string | undefined): string {
  if (out === undefined) return path.join(qdir, format.file);
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) return path.join(out, format.file);
  return out;
}

export function registerExport(program: Command): void {
  const names = Object.keys(EXPORT_FORMATS);
  program
    .command('export')
    .description('(Re-)write an export of a quantized-model folder written by npuquant quantize')
    .argument('<qdir>', 'folder written by npuquant quantize (quant_params.json, model.float.onnx)')
    .requiredOption('--format <f>', `export format: ${names.map((n) => `${n} (${EXPORT_FORMATS[n].describe})`).join('; ')}`)
    .option('--out <file>', 'output file, or a directory for the default name (default: the file inside QDIR)')
    .action(async (qdir: string, opts: { format: string; out?: string }) => {
      const format = Object.prototype.hasOwnProperty.call(EXPORT_FORMATS, opts.format) ? EXPORT_FORMATS[opts.format] : undefined;
      if (!format) throw new NpuqError('INVALID_ARGUMENT', `Expected one of ${names.join(', ')} for --format but received "${opts.format}"`);
      if (!fs.existsSync(qdir) || !fs.statSync(qdir).isDirectory()) {
        throw new NpuqError('FILE_NOT_FOUND', `${qdir} is not a directory; give the folder written by npuquant quantize --out`, { file: qdir });
      }
      const file = exportTarget(qdir, format, opts.out);
      const dir = path.dirname(file);
      if (!fs.existsSync(dir)) throw new NpuqError('FILE_NOT_FOUND', `the directory of --out ${file} does not exist; create ${dir} first`, { file: dir });
      const qm = await loadQuantized(qdir);
      try {
        await format.write(qm, file);
      } finally {
        await qm.dispose();
      }
      process.stdout.write(`${opts.format} -> ${file}\n`);
    });
}
