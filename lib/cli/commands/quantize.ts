import type { Command } from 'commander';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../../calibrate/options';
import { loadInputConfig } from '../../data/input-config';
import { NpuqError } from '../../errors';
import { optimizedForQuantization, quantize, saveQuantized, type QuantizeOptions } from '../../quantize/quantize';
import { configFileOptimize, configOverrides, readConfigFile } from '../../hybrid/steps';
import { loadModel } from '../../io/onnx';
import { progressBar } from '../progress';
import { OPTIMIZE_HELP, parseOptimize } from '../sample-options';

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
  cle?: boolean;
  biasCorrection?: string;
  smoothQuant?: boolean | string;
  adaround?: boolean | string;
  weightBits?: string;
  optimize?: string;
}

/** quantize() PTQ options from the CLI flags (lib/ptq); throws INVALID_ARGUMENT naming a bad flag value. */
function ptqOptions(opts: QuantizeCliOptions): Pick<QuantizeOptions, 'cle' | 'biasCorrection' | 'smoothQuant' | 'adaRound' | 'weightBits'> {
  const bad = (flag: string, want: string, got: unknown): never => {
    throw new NpuqError('INVALID_ARGUMENT', `Expected ${want} for ${flag} but received "${String(got)}"`);
  };
  const out: ReturnType<typeof ptqOptions> = {};
  if (opts.cle) out.cle = true;
  if (opts.biasCorrection !== undefined) {
    if (opts.biasCorrection !== 'analytic' && opts.biasCorrection !== 'empirical') bad('--bias-correction', 'analytic or empirical', opts.biasCorrection);
    out.biasCorrection = opts.biasCorrection as 'analytic' | 'empirical';
  }
  if (opts.smoothQuant !== undefined) {
    const alpha = opts.smoothQuant === true ? 0.5 : Number(opts.smoothQuant);
    if (!(alpha >= 0 && alpha <= 1)) bad('--smooth-quant', 'an alpha in [0, 1]', opts.smoothQuant);
    out.smoothQuant = { alpha };
  }
  if (opts.adaround !== undefined) {
    const iterations = opts.adaround === true ? undefined : Number(opts.adaround);
    if (iterations !== undefined && !(Number.isInteger(iterations) && iterations > 0)) bad('--adaround', 'a positive number of iterations', opts.adaround);
    out.adaRound = iterations === undefined ? {} : { iterations };
  }
  if (opts.weightBits !== undefined) {
    const bits = Number(opts.weightBits);
    if (!(Number.isInteger(bits) && bits >= 2 && bits <= 8)) bad('--weight-bits', 'an integer from 2 to 8', opts.weightBits);
    out.weightBits = bits;
  }
  return out;
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description('Calibrate and quantize a float model for a chip; writes OUT/model.qdq.onnx, OUT/quant_params.json and OUT/model.float.onnx')
    .argument('<model>', 'ONNX model file')
    .requiredOption('--target <profile>', 'chip profile (npuquant inspect --profiles lists them)')
    .requiredOption('--data <path>', 'calibration data: image folder, list file (one per input, repeatable) or a .npy batch', (v: string, p: string[]) => [...p, v], [])
    .requiredOption('--out <dir>', 'output folder')
    .option('--method <m>', `calibration method: ${CALIBRATION_METHODS.join(', ')} (default: the profile's)`)
    .option('--per-channel', 'per-channel weights (default: the profile\'s granularity)')
    .option('--per-tensor', 'per-tensor weights')
    .option('--input-config <file.json>', 'image preprocessing (size, colorFormat, mean, std, layout, resize)')
    .option('--limit <n>', 'use at most N samples', (v) => Number(v))
    .option('--batch <n>', 'samples per calibration run (default 16)', (v) => Number(v))
    .option('--seed <n>', 'shuffle the samples with this seed', (v) => Number(v))
    .option('--threads <n>', 'engine threads', (v) => Number(v))
    .option('--config <file>', 'hybrid quantization config: <model>.quantization.yaml (custom_quantize_layers) or a vendor file (see hybrid step2)')
    .option('--cle', 'cross-layer equalization of Conv/Gemm pairs before calibration (float-exact)')
    .option('--bias-correction <mode>', 'correct the integer biases after planning: analytic or empirical')
    .option('--smooth-quant [alpha]', 'SmoothQuant: migrate activation outliers into the next weights (alpha default 0.5)')
    .option('--adaround [iterations]', 'AdaRound: learn the rounding of the weights per layer (default 500 iterations per layer, 30 s per model)')
    .option('--optimize <passes>', OPTIMIZE_HELP)
    .option('--weight-bits <n>', 'bits of the weights\' integer range, 2 to 8 (default: the profile\'s)')
    .action(async (modelPath: string, opts: QuantizeCliOptions & { perTensor?: boolean }) => {
      if (opts.method !== undefined && !(CALIBRATION_METHODS as readonly string[]).includes(opts.method)) {
        throw new NpuqError('INVALID_ARGUMENT', `Expected one of ${CALIBRATION_METHODS.join(', ')} for --method but received "${opts.method}"`);
      }
      if (opts.perChannel && opts.perTensor) throw new NpuqError('INVALID_ARGUMENT', 'pass either --per-channel or --per-tensor, not both');
      const bar = progressBar('calibrating');
      const ptqLines: string[] = [];
      try {
        // A hybrid config (npuquant YAML or a vendor file): its layers' precisions and tensors' ranges.
        // A config written by hybrid step1 names the layers of the graph optimized as it records.
        const optimize = parseOptimize(opts.optimize) ?? (opts.config ? configFileOptimize(opts.config) : undefined);
        const float = await loadModel(modelPath);
        let overrides;
        if (opts.config) {
          const graph = optimizedForQuantization(float, optimize).graph;
          const cfg = readConfigFile(opts.config, graph, { target: opts.target });
          if (cfg.target !== opts.target) throw new NpuqError('INVALID_ARGUMENT', `${opts.config} is for target ${cfg.target} but --target is ${opts.target}`);
          overrides = configOverrides(cfg, graph, opts.config);
        }
        const qm = await quantize(float, {
          overrides,
          optimize,
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
          ...ptqOptions(opts),
          onPtqStep: (step, details) => ptqLines.push(`${step}:`, ...details.map((d) => `  ${d}`)),
        });
        bar.stop();
        const files = await saveQuantized(qm, opts.out);
        const nodes = [...qm.plan.nodes.values()];
        const fake = nodes.filter((n) => n.emulation === 'fake_quant');
        process.stdout.write(`quantized ${nodes.length} nodes for ${qm.profile.name}: ${nodes.filter((n) => n.execution !== 'keep_float').length} quantized, ${fake.length} approximated\n`);
        for (const n of fake) process.stdout.write(`  ${n.name}: ${n.note}\n`);
        for (const l of ptqLines) process.stdout.write(`${l}\n`);
        for (const f of files) process.stdout.write(`wrote ${f}\n`);
        await qm.dispose();
      } finally {
        bar.stop();
      }
    });
}
