import type { Command } from 'commander';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../../calibrate/options';
import { loadInputConfig } from '../../data/input-config';
import { NpuqError } from '../../errors';
import { quantize, saveQuantized } from '../../quantize/quantize';
import { progressBar } from '../progress';

interface QuantizeCliOptions {
  target: string;
  data: string[];
  out: string;
  method?: string;
  perChannel?: boolean;
  inputConfig?: string;
  limit?: number;
  batch?: number;
  seed?: number;
  threads?: number;
  config?: string;
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description('Calibrate and quantize a float model for a chip; writes OUT/model.qdq.onnx, OUT/quant_params.json and OUT/model.float.onnx')
    .argument('<model>', 'ONNX model file')
    .requiredOption('--target <profile>', 'chip profile (npuquant inspect --profiles lists them)')
    .requiredOption('--data <path>', 'calibration data: image folder, list file (one per input, repeatable) or a .npy batch', (v: string, p: string[]) => [...p, v], [])
    .requiredOption('--out <dir>', 'output folder')
    .option('--method <m>', `calibration method: ${CALIBRATION_METHODS.filter((m) => m !== 'auto').join(', ')} (default: the profile's)`)
    .option('--per-channel', 'per-channel weights (default: the profile\'s granularity)')
    .option('--per-tensor', 'per-tensor weights')
    .option('--input-config <file.json>', 'image preprocessing (size, colorFormat, mean, std, layout, resize)')
    .option('--limit <n>', 'use at most N samples', (v) => Number(v))
    .option('--batch <n>', 'samples per calibration run (default 16)', (v) => Number(v))
    .option('--seed <n>', 'shuffle the samples with this seed', (v) => Number(v))
    .option('--threads <n>', 'engine threads', (v) => Number(v))
    .option('--config <file.yaml>', 'hybrid quantization config (custom_quantize_layers)')
    .action(async (modelPath: string, opts: QuantizeCliOptions & { perTensor?: boolean }) => {
      if (opts.config) throw new NpuqError('UNSUPPORTED', '--config (hybrid quantization configs) is not available yet; quantize without it');
      if (opts.method !== undefined && !(CALIBRATION_METHODS as readonly string[]).includes(opts.method)) {
        throw new NpuqError('INVALID_ARGUMENT', `Expected one of ${CALIBRATION_METHODS.join(', ')} for --method but received "${opts.method}"`);
      }
      if (opts.perChannel && opts.perTensor) throw new NpuqError('INVALID_ARGUMENT', 'pass either --per-channel or --per-tensor, not both');
      const bar = progressBar('calibrating');
      try {
        const qm = await quantize(modelPath, {
          target: opts.target,
          data: opts.data.length === 1 ? opts.data[0] : opts.data,
          method: opts.method as CalibrationMethod | undefined,
          perChannel: opts.perChannel ? true : opts.perTensor ? false : undefined,
          inputConfig: opts.inputConfig ? await loadInputConfig(opts.inputConfig) : undefined,
          limit: opts.limit,
          batchSize: opts.batch,
          shuffleSeed: opts.seed,
          threads: opts.threads,
          onProgress: bar.update,
        });
        bar.stop();
        const files = await saveQuantized(qm, opts.out);
        const nodes = [...qm.plan.nodes.values()];
        const fake = nodes.filter((n) => n.emulation === 'fake_quant');
        process.stdout.write(`quantized ${nodes.length} nodes for ${qm.profile.name}: ${nodes.filter((n) => n.execution !== 'keep_float').length} quantized, ${fake.length} approximated\n`);
        for (const n of fake) process.stdout.write(`  ${n.name}: ${n.note}\n`);
        for (const f of files) process.stdout.write(`wrote ${f}\n`);
        await qm.dispose();
      } finally {
        bar.stop();
      }
    });
}
