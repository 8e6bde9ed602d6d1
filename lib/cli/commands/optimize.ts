import type { Command } from 'commander';
import { NpuqError } from '../../errors';
import { loadModel, saveModel } from '../../io/onnx';
import { irVersionFor } from '../../ir/opset-upgrade';
import { extractPass, truncatePass } from '../../passes/cut';
import type { Pass } from '../../passes/pass';
import { DEFAULT_PIPELINE, getPass, listPasses, runPasses } from '../../passes/pipeline';
import { parseShapeOption } from '../options';

interface OptimizeOptions {
  out?: string;
  passes?: string;
  list?: boolean;
  raiseOpset?: boolean;
  inputShape: string[];
  truncate?: string;
  extractInputs?: string;
  extractOutputs?: string;
}

const names = (s: string): string[] => s.split(',').map((x) => x.trim()).filter((x) => x !== '');

function printList(): void {
  const width = Math.max(...listPasses().map((p) => p.name.length));
  process.stdout.write(`Passes (* = in the default "optimize" pipeline, in this order: ${DEFAULT_PIPELINE.join(', ')}):\n`);
  for (const p of listPasses()) process.stdout.write(`${p.default ? '*' : ' '} ${p.name.padEnd(width)}  ${p.description}\n`);
  process.stdout.write('Cuts, run before the passes: --truncate NAMES (XQuant truncate_var_names), --extract-inputs NAMES --extract-outputs NAMES\n');
}

export function registerOptimize(program: Command): void {
  program
    .command('optimize')
    .description('Apply graph passes (default: the "optimize" pipeline) and save the float model')
    .argument('[model]', 'ONNX model file')
    .option('--out <file>', 'output .onnx file')
    .option('--passes <a,b,c>', `passes to run, in order, repeated until nothing changes (default: ${DEFAULT_PIPELINE.join(',')}; "" for none)`)
    .option('--list', 'list the passes and exit')
    .option('--raise-opset', 'let fuse-hardswish raise an opset below 14 to 14 (as quantize does) instead of leaving the pattern decomposed')
    .option('--input-shape <name=d0,d1,...>', 'fix an input\'s shape (repeatable); shape subgraphs then fold, and the model only accepts that shape', (v: string, p: string[]) => [...p, v], [])
    .option('--truncate <names>', 'comma-separated tensors that become the graph outputs; everything after them is removed')
    .option('--extract-inputs <names>', 'with --extract-outputs: keep only the subgraph between these tensors and the outputs')
    .option('--extract-outputs <names>', 'outputs of the extracted subgraph')
    .action(async (modelPath: string | undefined, opts: OptimizeOptions) => {
      if (opts.list) {
        printList();
        return;
      }
      if (!modelPath) throw new NpuqError('INVALID_ARGUMENT', 'missing the MODEL argument (or pass --list to list the passes)');
      if (!opts.out) throw new NpuqError('INVALID_ARGUMENT', 'missing --out OUT.onnx, the file to write the optimized model to');
      if ((opts.extractInputs === undefined) !== (opts.extractOutputs === undefined)) {
        throw new NpuqError('INVALID_ARGUMENT', '--extract-inputs and --extract-outputs go together; give both');
      }
      // Resolve pass names before loading, so a typo fails fast.
      const passes: Pass[] = (opts.passes === undefined ? DEFAULT_PIPELINE : names(opts.passes)).map((n) => getPass(n));
      const model = await loadModel(modelPath);
      const inputShapes = new Map(opts.inputShape.map(parseShapeOption));
      const before = model.graph.nodes.length;
      const cuts: Pass[] = [];
      if (opts.truncate !== undefined) cuts.push(truncatePass(names(opts.truncate)));
      if (opts.extractInputs !== undefined) cuts.push(extractPass(names(opts.extractInputs), names(opts.extractOutputs ?? '')));
      // Input shapes name the model's own inputs: they apply once, before an extract renames them.
      let shapes: Map<string, number[]> | undefined = inputShapes;
      const reports = [];
      if (cuts.length) {
        reports.push(...runPasses(model.graph, cuts, { inputShapes: shapes, maxRounds: 1 }).passes);
        shapes = undefined;
      }
      reports.push(...runPasses(model.graph, passes, { inputShapes: shapes, raiseOpset: opts.raiseOpset }).passes);
      model.irVersion = irVersionFor(model.graph.opset, model.irVersion);
      for (const r of reports) {
        if (r.changed === 0 && r.details.length === 0) continue;
        process.stdout.write(`${r.name}: ${r.changed === 0 ? 'no change' : `${r.changed} change${r.changed === 1 ? '' : 's'}`}\n`);
        for (const d of r.details) process.stdout.write(`  ${d}\n`);
      }
      await saveModel(model, opts.out);
      process.stdout.write(`wrote ${opts.out}: ${before} -> ${model.graph.nodes.length} nodes\n`);
    });
}
