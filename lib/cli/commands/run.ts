import * as fs from 'fs';
import * as path from 'path';
import type { Command } from 'commander';
import { readNpy, writeNpy } from '../../data/npy';
import { NpuqError } from '../../errors';
import { Tensor } from '../../ir/tensor';
import { loadModel } from '../../io/onnx';
import { loadQuantized } from '../../quantize/quantize';
import { Session } from '../../runtime/session';
import { fileSafe, parseInputOption } from '../options';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run a float model (or, with --quantized, its emulated quantized model) on .npy inputs and write each output as OUT/<name>.npy (float32)')
    .argument('<model>', 'ONNX model file')
    .requiredOption('--input <name=file.npy>', 'an input tensor (repeatable; one per model input)', (v: string, p: string[]) => [...p, v], [])
    .requiredOption('--out <dir>', 'output directory')
    .option('--threads <n>', 'threads per run', (v) => Number(v))
    .option('--max-isa <isa>', 'highest ISA tier: scalar, avx2, neon, neondot, rvv')
    .option('--quantized <dir>', 'run the quantized model written by npuquant quantize into this folder')
    .action(async (modelPath: string, opts: { input: string[]; out: string; threads?: number; maxIsa?: string; quantized?: string }) => {
      const model = await loadModel(modelPath);
      const feeds: Record<string, Tensor> = {};
      for (const spec of opts.input) {
        const [name, file] = parseInputOption(spec);
        if (!model.graph.inputs.some((i) => i.name === name)) {
          throw new NpuqError('INVALID_ARGUMENT', `"${name}" is not an input of ${modelPath}; its inputs are ${model.graph.inputs.map((i) => `"${i.name}"`).join(', ')}`);
        }
        feeds[name] = readNpy(file);
      }
      const qm = opts.quantized ? await loadQuantized(opts.quantized, { threads: opts.threads }) : undefined;
      if (qm) {
        const theirs = qm.graph.inputs.map((i) => i.name).sort().join(',');
        if (theirs !== model.graph.inputs.map((i) => i.name).sort().join(',')) {
          throw new NpuqError('INVALID_ARGUMENT', `${opts.quantized} was quantized from a model with inputs ${theirs}, not from ${modelPath}`);
        }
      }
      const session = qm ? undefined : await Session.create(model, { threads: opts.threads, maxIsa: opts.maxIsa });
      try {
        const outputs = qm ? await qm.run(feeds) : await session!.run(feeds);
        fs.mkdirSync(opts.out, { recursive: true });
        for (const [name, t] of Object.entries(outputs)) {
          const f32 = t.dtype === 'float32' ? t : Tensor.fromNumbers('float32', t.shape, t.toNumbers());
          const file = path.join(opts.out, `${fileSafe(name)}.npy`);
          writeNpy(file, f32);
          process.stdout.write(`${name} [${t.shape.join(',')}] -> ${file}\n`);
        }
      } finally {
        session?.dispose();
        await qm?.dispose();
      }
    });
}
