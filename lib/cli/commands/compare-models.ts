import * as path from 'path';
import type { Command } from 'commander';
import { topK } from '../../analyze/topk';
import { readNpy } from '../../data/npy';
import { NpuqError } from '../../errors';
import { Tensor } from '../../ir/tensor';
import { loadQuantized } from '../../quantize/quantize';
import type { QuantizedModel } from '../../quantize/quantized-model';
import { parseInputOption } from '../options';

/**
 * `npuquant compare-models`: the top-5 classes and scores of the float model and of each quantized folder
 * (plain int8, hybrid, ...) for the same inputs, side by side, like the vendor examples' run_*_model.py.
 */
export function registerCompareModels(program: Command): void {
  program
    .command('compare-models')
    .description('Print the top-5 classes and scores of the float model and of each quantized folder for the same inputs')
    .argument('<qdirs...>', 'folders written by `npuquant quantize` or `hybrid step2` (the float model is the first one\'s model.float.onnx)')
    .requiredOption('--input <name=file.npy>', 'input tensor (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--output <name>', 'graph output to rank (default: the first)')
    .option('--samples <n>', 'samples of the batch printed (default 3)', (v) => Number(v))
    .option('--top <k>', 'classes per list (default 5)', (v) => Number(v))
    .action(async (qdirs: string[], opts: { input: string[]; output?: string; samples?: number; top?: number }) => {
      const k = opts.top ?? 5, shown = opts.samples ?? 3;
      if (!Number.isInteger(k) || k < 1) throw new NpuqError('INVALID_ARGUMENT', `Expected a positive integer for --top but received ${opts.top}`);
      if (!Number.isInteger(shown) || shown < 1) throw new NpuqError('INVALID_ARGUMENT', `Expected a positive integer for --samples but received ${opts.samples}`);
      const feeds: Record<string, Tensor> = {};
      for (const spec of opts.input) {
        const [name, file] = parseInputOption(spec);
        feeds[name] = readNpy(file);
      }
      const models: QuantizedModel[] = [];
      try {
        for (const d of qdirs) models.push(await loadQuantized(d));
        const out = opts.output ?? models[0].graph.outputs[0].name;
        if (!models[0].graph.outputs.some((o) => o.name === out)) throw new NpuqError('INVALID_ARGUMENT', `--output "${out}" is not an output of the model (${models[0].graph.outputs.map((o) => o.name).join(', ')})`);
        const rows: { label: string; t: Tensor }[] = [{ label: 'float', t: (await models[0].runFloat(feeds, { outputs: [out] }))[out] }];
        for (let i = 0; i < models.length; i++) {
          const m = models[i];
          const precisions = new Set([...m.plan.nodes.values()].filter((n) => n.execution !== 'keep_float').map((n) => n.precision));
          const order = ['uint8', 'int8', 'uint16', 'int16', 'float16', 'bfloat16', 'float32'];
          const names = [...precisions].sort((a, b) => order.indexOf(a) - order.indexOf(b));
          rows.push({ label: `${path.basename(path.resolve(qdirs[i]))} (${m.profile.name}, ${names.join('+')})`, t: (await m.run(feeds, { outputs: [out] }))[out] });
        }
        const t0 = rows[0].t;
        if (t0.shape.length !== 2) throw new NpuqError('INVALID_ARGUMENT', `output "${out}" has shape [${t0.shape.join(', ')}]; compare-models ranks [batch, classes] outputs`);
        const [n, c] = t0.shape;
        const w = Math.max(...rows.map((r) => r.label.length));
        for (let s = 0; s < Math.min(n, shown); s++) {
          process.stdout.write(`sample ${s}: top-${k} of ${out} (class: score)\n`);
          for (const r of rows) {
            const v = (r.t.data as Float32Array).subarray(s * c, (s + 1) * c);
            process.stdout.write(`  ${r.label.padEnd(w)}  ${topK(v, Math.min(k, c)).map((e) => `${e.index}: ${e.score.toFixed(4)}`).join('  ')}\n`);
          }
        }
      } finally {
        for (const m of models) await m.dispose();
      }
    });
}
