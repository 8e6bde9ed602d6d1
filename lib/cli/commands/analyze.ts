import type { Command } from 'commander';
import { analyze } from '../../analyze/analyze';
import type { Thresholds } from '../../analyze/types';
import { NpuqError } from '../../errors';
import { loadQuantized, quantize } from '../../quantize/quantize';
import { writeReports } from '../../report/index';
import { finiteNumber as num } from '../options';
import { progressBar } from '../progress';
import { addGranularityOptions, addSampleOptions, sampleOptions, type SampleCliOptions } from '../sample-options';

interface AnalyzeCliOptions extends SampleCliOptions {
  target?: string;
  quantized?: string;
  out: string;
  cosine?: number;
  noiseSignal?: number;
  cumulativeDrop?: number;
  top?: number;
}

export function registerAnalyze(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('Per-layer accuracy analysis (individual and cumulative error, outliers, top-k); writes OUT/analysis.json, analysis.md, analysis.csv, analysis.html, individual_qnt_error_analysis.txt')
    .argument('<model>', 'float ONNX model file')
    .option('--target <profile>', 'chip profile to quantize for (or --quantized)')
    .option('--quantized <qdir>', 'analyse a folder written by `npuquant quantize` instead of quantizing again')
    .requiredOption('--out <dir>', 'output folder of the reports');
  addGranularityOptions(addSampleOptions(cmd, 'samples: image folder, list file (one per input, repeatable) or a .npy batch; also the calibration data with --target'))
    .option('--cosine <x>', 'flag layers whose individual cosine is below this (default 0.99)', num('--cosine'))
    .option('--noise-signal <x>', 'flag layers whose individual noise:signal ratio is above this (default 0.1)', num('--noise-signal'))
    .option('--cumulative-drop <x>', 'flag layers where the cumulative cosine drops by more than this (default 0.01)', num('--cumulative-drop'))
    .option('--top <n>', 'layers listed in the summary printed here (default 10)', num('--top'))
    .action(async (modelPath: string, opts: AnalyzeCliOptions) => {
      if (!opts.target === !opts.quantized) throw new NpuqError('INVALID_ARGUMENT', 'pass either --target (quantize, then analyse) or --quantized QDIR (analyse a quantized folder)');
      const common = await sampleOptions(opts);
      let qm;
      if (opts.quantized) {
        qm = await loadQuantized(opts.quantized, { threads: opts.threads });
      } else {
        const bar = progressBar('calibrating');
        try {
          qm = await quantize(modelPath, { ...common, target: opts.target!, onProgress: bar.update });
        } finally {
          bar.stop();
        }
      }
      const thresholds: Partial<Thresholds> = {};
      if (opts.cosine !== undefined) thresholds.individualCosine = opts.cosine;
      if (opts.noiseSignal !== undefined) thresholds.noiseSignal = opts.noiseSignal;
      if (opts.cumulativeDrop !== undefined) thresholds.cumulativeDrop = opts.cumulativeDrop;
      const bar = progressBar('analysing');
      let a;
      try {
        a = await analyze(modelPath, qm, { ...common, thresholds, onProgress: bar.update });
      } finally {
        bar.stop();
        await qm.dispose();
      }
      const files = writeReports(a, opts.out);
      const out = process.stdout;
      out.write(`analysed ${a.layers.length} layers of ${a.model} for ${a.target} on ${a.samples} samples in ${(a.timing.analysis_ms / 1000).toFixed(1)} s\n`);
      for (const o of a.outputs) {
        const top = o.top1_agreement !== undefined ? `, top-1 agreement ${(o.top1_agreement * 100).toFixed(1)}%, top-5 ${(o.top5_agreement! * 100).toFixed(1)}%` : '';
        out.write(`output ${o.name}: cosine ${o.cosine.toFixed(6)}, SQNR ${o.sqnr_db === null ? 'inf' : o.sqnr_db.toFixed(2)} dB${top}\n`);
      }
      const n = opts.top ?? 10;
      if (a.suggestions.length === 0) out.write('no layer flagged\n');
      else out.write(`${a.suggestions.length} layer(s) flagged, worst first:\n`);
      for (const s of a.suggestions.slice(0, n)) out.write(`  ${s.name}: ${s.reason} -> ${s.action}\n`);
      for (const f of files) out.write(`wrote ${f}\n`);
    });
}
