/**
 * `npuquant bench MODEL [--quantized QDIR]`: times full runs of the float model (or of the emulated
 * quantized model written by `npuquant quantize`) on random or given inputs, and prints one JSON object
 * (`--json`) or one line.
 *
 * Inputs: `--input NAME=FILE.npy` is used as is; any other input is generated from its shape in the
 * model, float32/float64 uniform in [0, 1) from a seeded generator, other types zeros (valid indices).
 * A symbolic first dim is `--batch` (default 1); any other symbolic dim needs `--shape NAME=d0,d1,...`.
 * Inputs that give shapes (read at compile time, e.g. Reshape's shape) must come from `--input`.
 *
 * Timing: `--warmup` untimed runs (the first compiles the plan), then `--iterations` timed runs, each
 * the whole `run` call (feeds in, outputs out, as `npuquant run` does), one after the other.
 */
import type { Command } from 'commander';
import { capabilities } from '../../capabilities';
import { mulberry32 } from '../../data/dataset';
import { readNpy } from '../../data/npy';
import { NpuqError } from '../../errors';
import type { Model, ValueInfo } from '../../ir/graph';
import { Tensor } from '../../ir/tensor';
import { loadModel } from '../../io/onnx';
import { loadQuantized } from '../../quantize/quantize';
import type { QuantizedModel } from '../../quantize/quantized-model';
import { shapeGivingInputs } from '../../runtime/support';
import { defaultThreads, Session, type SessionOptions } from '../../runtime/session';
import { parseInputOption, parseNamedShape } from '../options';

interface BenchOptions {
  quantized?: string;
  batch?: string;
  iterations: string;
  warmup: string;
  input: string[];
  shape: string[];
  threads?: string;
  maxIsa?: string;
  seed: string;
  json?: boolean;
}

/** What `bench --json` prints. */
export interface BenchResult {
  model: string;
  /** The quantized folder, or null for the float model. */
  quantized: string | null;
  /** The chip profile of the quantized model, or null. */
  target: string | null;
  isa: string;
  arch: string;
  threads: number;
  /** First dim of the first input. */
  batch: number;
  inputs: Record<string, number[]>;
  warmup: number;
  iterations: number;
  median_ms: number;
  min_ms: number;
  mean_ms: number;
  max_ms: number;
  p90_ms: number;
  /** Samples per second at the median time: batch / median. */
  samples_per_s: number;
}

function integerOption(v: string | undefined, flag: string, min: number, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}] for ${flag} but received "${v}"`);
  }
  return n;
}

const rng = mulberry32;

/** The concrete shape of a generated input (see the file comment). */
export function benchShape(info: ValueInfo, given: number[] | undefined, batch: number | undefined): number[] {
  const dims = info.shape;
  if (given) {
    if (dims && dims.length !== given.length) {
      throw new NpuqError('INVALID_ARGUMENT', `--shape ${info.name}=${given.join(',')} has ${given.length} dims but input "${info.name}" has rank ${dims.length}`);
    }
    return given;
  }
  if (!dims) throw new NpuqError('INVALID_ARGUMENT', `input "${info.name}" has an unknown rank; give its shape with --shape ${info.name}=d0,d1,...`);
  const fixed = (d: unknown): d is number => typeof d === 'number' && d >= 0;
  if (dims.some((d, k) => k > 0 && !fixed(d))) {
    const example = dims.map((d, k) => (fixed(d) ? d : k === 0 ? batch ?? 1 : '?')).join(',');
    throw new NpuqError('INVALID_ARGUMENT',
      `input "${info.name}" has symbolic dims [${dims.map((d) => d ?? '?').join(',')}]; give its shape with --shape ${info.name}=${example} (every ? a number)`);
  }
  const shape = dims.map((d) => (fixed(d) ? d : -1));
  if (shape.length > 0 && shape[0] < 0) shape[0] = batch ?? 1;
  else if (shape.length > 0 && batch !== undefined && shape[0] !== batch) {
    throw new NpuqError('INVALID_ARGUMENT', `input "${info.name}" has a fixed first dim ${shape[0]}; --batch ${batch} cannot change it (use --shape to give another shape)`);
  }
  return shape;
}

/** A random tensor for a model input (see the file comment). */
function randomInput(info: ValueInfo, shape: number[], next: () => number): Tensor {
  const dtype = info.dtype ?? 'float32';
  if (dtype === 'string') throw new NpuqError('UNSUPPORTED', `input "${info.name}" holds strings; npuquant bench cannot generate it`);
  const t = Tensor.zeros(dtype, shape);
  if (t.data instanceof Float32Array || t.data instanceof Float64Array) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) d[i] = next();
  }
  return t;
}

/** The feeds of every model input: files from --input, the rest generated. */
export function benchFeeds(model: Model, opts: { input: string[]; shape: string[]; batch?: number; seed: number }): Record<string, Tensor> {
  const names = model.graph.inputs.map((i) => i.name);
  const known = (name: string, flag: string) => {
    if (!names.includes(name)) {
      throw new NpuqError('INVALID_ARGUMENT', `"${name}" (${flag}) is not an input of the model; its inputs are ${names.map((n) => `"${n}"`).join(', ')}`);
    }
  };
  const files = new Map<string, string>();
  for (const spec of opts.input) {
    const [name, file] = parseInputOption(spec);
    known(name, '--input');
    files.set(name, file);
  }
  const shapes = new Map<string, number[]>();
  for (const spec of opts.shape) {
    const [name, shape] = parseNamedShape(spec, '--shape');
    known(name, '--shape');
    shapes.set(name, shape);
  }
  const shapeGiving = shapeGivingInputs(model.graph);
  const next = rng(opts.seed);
  const feeds: Record<string, Tensor> = {};
  for (const info of model.graph.inputs) {
    const file = files.get(info.name);
    if (file !== undefined) {
      feeds[info.name] = readNpy(file);
      if (opts.batch !== undefined && feeds[info.name].shape[0] !== opts.batch) {
        throw new NpuqError('INVALID_ARGUMENT', `--input ${info.name}=${file} has first dim ${feeds[info.name].shape[0]}, not --batch ${opts.batch}`);
      }
      continue;
    }
    if (shapeGiving.has(info.name)) {
      throw new NpuqError('INVALID_ARGUMENT', `input "${info.name}" gives a shape (its values are read when the plan is compiled); pass its values with --input ${info.name}=FILE.npy`);
    }
    feeds[info.name] = randomInput(info, benchShape(info, shapes.get(info.name), opts.batch), next);
  }
  return feeds;
}

/** Median, min, mean, max and 90th percentile (nearest rank) of `ms`. */
export function timingSummary(ms: number[]): { median: number; min: number; mean: number; max: number; p90: number } {
  const s = [...ms].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0], mean: s.reduce((a, b) => a + b, 0) / n, max: s[n - 1], p90: s[Math.min(n - 1, Math.ceil(0.9 * n) - 1)] };
}

/** The ISA tier a session with `maxIsa` uses (the native rule: the lower of the default and the cap). */
function effectiveIsa(maxIsa: string | undefined): { isa: string; arch: string } {
  const caps = capabilities();
  if (maxIsa === undefined) return { isa: caps.isa, arch: caps.arch };
  if (!caps.isas.includes(maxIsa)) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected one of ${caps.isas.join(', ')} (the tiers of this CPU and build) for --max-isa but received "${maxIsa}"`);
  }
  return { isa: caps.isas.indexOf(maxIsa) > caps.isas.indexOf(caps.isa) ? maxIsa : caps.isa, arch: caps.arch };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

export function registerBench(program: Command): void {
  const collect = (v: string, p: string[]) => [...p, v];
  program
    .command('bench')
    .description('Time full runs of a model (or, with --quantized, of its emulated quantized model) on random or given inputs')
    .argument('<model>', 'ONNX model file')
    .option('--quantized <dir>', 'time the quantized model written by npuquant quantize into this folder')
    .option('--batch <n>', 'first dim of generated inputs when it is symbolic (default 1)')
    .option('--iterations <n>', 'timed runs', '20')
    .option('--warmup <n>', 'untimed runs before timing (the first one compiles the plan)', '3')
    .option('--input <name=file.npy>', 'use this tensor for an input instead of random values (repeatable)', collect, [])
    .option('--shape <name=d0,d1,...>', 'shape of a generated input with symbolic dims (repeatable)', collect, [])
    .option('--threads <n>', 'threads per run (default: min(cores, 4))')
    .option('--max-isa <isa>', 'highest ISA tier: scalar, avx2, neon, neondot, rvv')
    .option('--seed <n>', 'seed of the random inputs', '1')
    .option('--json', 'print one JSON object instead of a line')
    .action(async (modelPath: string, opts: BenchOptions) => {
      const iterations = integerOption(opts.iterations, '--iterations', 1, 20);
      const warmup = integerOption(opts.warmup, '--warmup', 0, 3);
      const batch = opts.batch === undefined ? undefined : integerOption(opts.batch, '--batch', 1, 1);
      const threadsOpt = opts.threads === undefined ? undefined : integerOption(opts.threads, '--threads', 1, 1, 256);
      const seed = integerOption(opts.seed, '--seed', 0, 1, 0xffffffff);
      const { isa, arch } = effectiveIsa(opts.maxIsa);
      const model = await loadModel(modelPath);
      const feeds = benchFeeds(model, { input: opts.input, shape: opts.shape, batch, seed });
      const sessionOptions: SessionOptions = { threads: threadsOpt, maxIsa: opts.maxIsa };
      let qm: QuantizedModel | undefined;
      let session: Session | undefined;
      try {
        if (opts.quantized !== undefined) {
          // loadQuantized hands its options to the QuantizedModel's sessions (threads, maxIsa).
          qm = await loadQuantized(opts.quantized, sessionOptions);
          const theirs = qm.graph.inputs.map((i) => i.name).sort().join(',');
          if (theirs !== model.graph.inputs.map((i) => i.name).sort().join(',')) {
            throw new NpuqError('INVALID_ARGUMENT', `${opts.quantized} was quantized from a model with inputs ${theirs}, not from ${modelPath}`);
          }
        } else {
          session = await Session.create(model, sessionOptions);
        }
        const runOnce = qm ? () => qm!.run(feeds) : () => session!.run(feeds);
        for (let k = 0; k < warmup; k++) await runOnce();
        const ms: number[] = [];
        for (let k = 0; k < iterations; k++) {
          const t0 = process.hrtime.bigint();
          await runOnce();
          ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
        const t = timingSummary(ms);
        const first = model.graph.inputs[0]?.name;
        const b = first !== undefined && feeds[first].shape.length > 0 ? feeds[first].shape[0] : 1;
        const result: BenchResult = {
          model: modelPath,
          quantized: opts.quantized ?? null,
          target: qm ? qm.profile.name : null,
          isa, arch,
          threads: threadsOpt ?? defaultThreads(),
          batch: b,
          inputs: Object.fromEntries(Object.entries(feeds).map(([n, f]) => [n, [...f.shape]])),
          warmup, iterations,
          median_ms: round3(t.median), min_ms: round3(t.min), mean_ms: round3(t.mean), max_ms: round3(t.max), p90_ms: round3(t.p90),
          samples_per_s: round3(t.median > 0 ? (b * 1000) / t.median : 0),
        };
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          process.stdout.write(`${modelPath}${qm ? ` (quantized, ${result.target})` : ''}: median ${result.median_ms} ms, min ${result.min_ms} ms, ` +
            `mean ${result.mean_ms} ms over ${iterations} runs, batch ${b}, ${result.samples_per_s.toFixed(1)} samples/s, ${isa}, ${result.threads} threads\n`);
        }
      } finally {
        session?.dispose();
        await qm?.dispose();
      }
    });
}
