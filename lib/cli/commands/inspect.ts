import type { Command } from 'commander';
import { findUnsupportedOps, inferGraph } from '../../ir/infer';
import type { Dim } from '../../ir/graph';
import { loadModel } from '../../io/onnx';
import { parseShapeOption } from '../options';

const fmt = (s: Dim[] | undefined) => (s ? `[${s.map((d) => (d === undefined ? '?' : String(d))).join(',')}]` : '[?]');

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('List a model\'s inputs, outputs, operators and their shapes, and any operator npuquant cannot run')
    .argument('<model>', 'ONNX model file')
    .option('--input-shape <name=d0,d1,...>', 'resolve symbolic dims with a concrete input shape (repeatable)', collect, [])
    .option('--nodes', 'list every node with its output shapes')
    .option('--json', 'print one JSON object instead of text')
    .action(async (modelPath: string, opts: { inputShape: string[]; nodes?: boolean; json?: boolean }) => {
      const model = await loadModel(modelPath);
      const g = model.graph;
      const inputShapes = new Map<string, number[]>();
      for (const s of opts.inputShape) {
        const [name, shape] = parseShapeOption(s);
        inputShapes.set(name, shape);
      }
      const unsupported = findUnsupportedOps(g);
      let types: ReturnType<typeof inferGraph>['types'] | undefined;
      let inferError: string | undefined;
      if (unsupported.length === 0) {
        try {
          types = inferGraph(g, { inputShapes }).types;
        } catch (e) {
          inferError = (e as Error).message;
        }
      }
      const ops = new Map<string, number>();
      for (const n of g.nodes) ops.set(n.opType, (ops.get(n.opType) ?? 0) + 1);
      const shapeOf = (name: string) => types?.get(name)?.shape ?? g.valueInfo.get(name)?.shape;
      const report = {
        model: modelPath,
        opset: g.opset,
        irVersion: model.irVersion,
        producer: `${model.producerName} ${model.producerVersion}`.trim(),
        inputs: g.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape })),
        outputs: g.outputs.map((o) => ({ name: o.name, dtype: types?.get(o.name)?.dtype ?? o.dtype, shape: shapeOf(o.name) })),
        nodes: g.nodes.length,
        initializers: g.initializers.size,
        parameters: [...g.initializers.values()].reduce((a, t) => a + t.size, 0),
        ops: Object.fromEntries([...ops].sort((a, b) => b[1] - a[1])),
        unsupported: unsupported.map((u) => ({ opType: u.opType, domain: u.domain, nodes: u.nodes })),
        shapeInferenceError: inferError,
        nodeList: opts.nodes
          ? g.nodes.map((n) => ({ name: n.name, op: n.opType, inputs: n.inputs, outputs: n.outputs.map((o) => ({ name: o, shape: shapeOf(o) })) }))
          : undefined,
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const out: string[] = [];
      out.push(`${modelPath}: opset ${report.opset}, IR ${report.irVersion}, ${report.nodes} nodes, ${report.parameters} parameters`);
      out.push('inputs:');
      for (const i of g.inputs) out.push(`  ${i.name}  ${i.dtype ?? '?'} ${fmt(i.shape)}`);
      out.push('outputs:');
      for (const o of g.outputs) out.push(`  ${o.name}  ${types?.get(o.name)?.dtype ?? o.dtype ?? '?'} ${fmt(shapeOf(o.name))}`);
      out.push('operators:');
      for (const [op, n] of Object.entries(report.ops)) out.push(`  ${op.padEnd(24)} ${n}`);
      if (unsupported.length) {
        out.push('unsupported operators:');
        for (const u of unsupported) out.push(`  ${u.opType}: ${u.nodes.join(', ')}`);
      } else {
        out.push('all operators are supported');
      }
      if (inferError) out.push(`shape inference: ${inferError}`);
      if (opts.nodes) {
        out.push('nodes:');
        for (const n of g.nodes) out.push(`  ${n.name.padEnd(32)} ${n.opType.padEnd(20)} ${n.outputs.map((o) => fmt(shapeOf(o))).join(' ')}`);
      }
      process.stdout.write(`${out.join('\n')}\n`);
      if (unsupported.length) process.exitCode = 2;
    });
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}
