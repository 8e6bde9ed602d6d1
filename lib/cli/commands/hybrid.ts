import type { Command } from 'commander';
import { NpuqError } from '../../errors';
import { step1, step2, type SuggestStrategy } from '../../hybrid/steps';
import { progressBar } from '../progress';
import { addGranularityOptions, addSampleOptions, sampleOptions, type SampleCliOptions } from '../sample-options';

/** "threshold", "top:N" or "search:cosine>=0.999" / "search:top1>=0.99". */
export function parseSuggest(s: string): SuggestStrategy {
  if (s === 'threshold') return 'threshold';
  const top = /^top:(\d+)$/.exec(s);
  if (top) return { top: Number(top[1]) };
  const search = /^search:(cosine|top1)>=([0-9.]+)$/.exec(s);
  if (search && Number(search[2]) > 0 && Number(search[2]) <= 1) return { search: { metric: search[1] as 'cosine' | 'top1', value: Number(search[2]) } };
  throw new NpuqError('INVALID_ARGUMENT', `Expected threshold, top:N or search:cosine>=X / search:top1>=X (X in (0, 1]) for --suggest but received "${s}"`);
}

export function registerHybrid(program: Command): void {
  const hybrid = program.command('hybrid').description('Hybrid (mixed-precision) quantization in two steps: step1 suggests layers, step2 re-quantizes them in higher precision');
  addGranularityOptions(addSampleOptions(hybrid
    .command('step1')
    .description('Quantize, analyse and write OUT/<model>.quantization.yaml (custom_quantize_layers pre-filled with the suggested layers) and the analysis reports')
    .argument('<model>', 'float ONNX model file')
    .requiredOption('--target <profile>', 'chip profile')
    .requiredOption('--out <dir>', 'output folder')))
    .option('--suggest <how>', 'threshold (flagged layers, default), top:N (N worst by individual error) or search:cosine>=X / search:top1>=X (automatic search)', 'threshold')
    .action(async (modelPath: string, opts: SampleCliOptions & { out: string; target: string; suggest: string }) => {
      const suggest = parseSuggest(opts.suggest);
      const bar = progressBar('step 1');
      let r;
      try {
        r = await step1(modelPath, {
          ...(await sampleOptions(opts)), target: opts.target, suggest, out: opts.out, onProgress: bar.update,
        });
      } finally {
        bar.stop();
      }
      await r.quantized.dispose();
      const out = process.stdout;
      const o = r.analysis.outputs[0];
      out.write(`int8 model: output ${o.name} cosine ${o.cosine.toFixed(6)}${o.top1_agreement !== undefined ? `, top-1 agreement ${(o.top1_agreement * 100).toFixed(1)}%` : ''}\n`);
      if (r.search) {
        out.write(`search (${r.search.goal.metric} >= ${r.search.goal.value}): ${r.search.met ? 'met' : 'NOT met'} with ${Object.keys(r.search.layers).length} layer(s), ${r.search.evaluations} evaluations in ${(r.search.elapsed_ms / 1000).toFixed(1)} s\n`);
        for (const p of r.search.curve) out.write(`  ${String(p.layers.length).padStart(3)} layers: ${p.metric.toFixed(6)} (MACs ${(p.macs_share * 100).toFixed(1)}%, bytes ${(p.bytes_share * 100).toFixed(1)}%)\n`);
      }
      const layers = Object.entries(r.config.layers);
      out.write(layers.length ? `suggested ${layers.length} layer(s):\n` : 'no layer suggested: the config lists none; add layers by hand if needed\n');
      for (const [name, p] of layers) out.write(`  ${name}: ${p}  # ${r.config.comments?.[name] ?? ''}\n`);
      for (const f of r.files) out.write(`wrote ${f}\n`);
    });
  addSampleOptions(hybrid
    .command('step2')
    .description('Validate a hybrid config (npuquant YAML or a vendor format) and re-quantize with its layers in higher precision; writes what `quantize` writes plus a new analysis')
    .argument('<model>', 'float ONNX model file')
    .requiredOption('--config <file>', 'hybrid config: <model>.quantization.yaml from step1, or a vendor file (RKNN quantization.cfg, TPU-MLIR qtable, Pulsar2 JSON, XQuant JSON, AIMET encodings)')
    .requiredOption('--out <dir>', 'output folder'))
    .option('--target <profile>', 'chip profile (needed for vendor configs that do not name one)')
    .option('--format <name>', 'config format (default: detected)')
    .option('--no-analysis', 'skip the analysis of the hybrid model')
    .action(async (modelPath: string, opts: SampleCliOptions & { out: string; config: string; target?: string; format?: string; analysis: boolean }) => {
      const bar = progressBar('step 2');
      let r;
      try {
        r = await step2(modelPath, opts.config, {
          ...(await sampleOptions(opts)), target: opts.target, format: opts.format, out: opts.out, skipAnalysis: !opts.analysis, onProgress: bar.update,
        });
      } finally {
        bar.stop();
      }
      await r.quantized.dispose();
      const out = process.stdout;
      out.write(`re-quantized for ${r.config.target} with ${Object.keys(r.config.layers).length} layer(s) raised\n`);
      const o = r.analysis?.outputs[0];
      if (o) out.write(`hybrid model: output ${o.name} cosine ${o.cosine.toFixed(6)}${o.top1_agreement !== undefined ? `, top-1 agreement ${(o.top1_agreement * 100).toFixed(1)}%` : ''}\n`);
      for (const f of r.files) out.write(`wrote ${f}\n`);
    });
}
