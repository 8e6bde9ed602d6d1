/**
 * `npuquant export QDIR --format F [--out FILE]`: (re-)writes one export of a quantized-model folder
 * written by `npuquant quantize` (model.float.onnx + quant_params.json; the plan is replayed, not
 * calibrated again).
 *
 * Formats:
 * - `qdq`: the QDQ ONNX model onnxruntime runs (lib/export/qdq.ts); default file QDIR/model.qdq.onnx.
 * - `quant-params`: quant_params.json (every tensor's dtype, scales, zero points, range; every node's
 *   precision); default file QDIR/quant_params.json.
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

interface ExportFormat {
  /** File name written into the quantized folder (or an --out directory). */
  file: string;
  describe: string;
  write(qm: QuantizedModel, file: string): Promise<void>;
}

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
    write: async (qm, file) => {
      try {
        fs.writeFileSync(file, `${JSON.stringify(qm.quantParams(), null, 1)}\n`);
      } catch (e) {
        throw new NpuqError('FILE_WRITE', `cannot write ${file}: ${(e as Error).message}`, { file, cause: e });
      }
    },
  },
};

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
