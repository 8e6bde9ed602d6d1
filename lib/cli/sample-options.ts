/**
 * The options of every subcommand that passes over samples (analyze, hybrid step1/step2): where the
 * samples are and how they are read, the calibration method and the weight granularity.
 */
import type { Command } from 'commander';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../calibrate/options';
import type { DatasetOptions } from '../data/dataset';
import { loadInputConfig } from '../data/input-config';
import { NpuqError } from '../errors';
import { finiteNumber } from './options';
import type { OptimizeSetting } from '../quantize/quantize';

export interface SampleCliOptions {
  data: string[];
  inputConfig?: string;
  limit?: number;
  batch?: number;
  seed?: number;
  threads?: number;
  method?: string;
  perChannel?: boolean;
  perTensor?: boolean;
  optimize?: string;
}

/** --optimize: "default", "none" or comma-separated pass names (checked by quantize()). */
export const OPTIMIZE_HELP = 'graph passes before quantizing: default (the "optimize" pipeline), none (only BatchNormalization folded) or a,b,c (npuquant optimize --list names them); default: default';

/** The quantize() `optimize` setting of an --optimize value. */
export function parseOptimize(v: string | undefined): OptimizeSetting | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  if (s === 'default' || s === 'none') return s;
  const names = s.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (names.length === 0) throw new NpuqError('INVALID_ARGUMENT', `Expected default, none or comma-separated pass names for --optimize but received "${v}"`);
  return names;
}

/** Adds --data, --input-config, --limit, --batch, --seed, --threads, --method and --optimize to `cmd`. */
export function addSampleOptions(cmd: Command, dataHelp = 'samples: image folder, list file (one per input, repeatable) or a .npy batch'): Command {
  return cmd
    .requiredOption('--data <path>', dataHelp, (v: string, p: string[]) => [...p, v], [])
    .option('--method <m>', `calibration method: ${CALIBRATION_METHODS.join(', ')} (default: the profile's)`)
    .option('--input-config <file.json>', 'image preprocessing (size, colorFormat, mean, std, layout, resize)')
    .option('--limit <n>', 'use at most N samples', finiteNumber('--limit'))
    .option('--batch <n>', 'samples per engine run (default 16)', finiteNumber('--batch'))
    .option('--seed <n>', 'shuffle the samples with this seed', finiteNumber('--seed'))
    .option('--threads <n>', 'engine threads', finiteNumber('--threads'))
    .option('--optimize <passes>', OPTIMIZE_HELP);
}

/** Adds --per-channel and --per-tensor. */
export function addGranularityOptions(cmd: Command): Command {
  return cmd.option('--per-channel', 'per-channel weights').option('--per-tensor', 'per-tensor weights');
}

/** The quantize()/analyze() options the flags stand for; INVALID_ARGUMENT for a bad method or both granularities. */
export async function sampleOptions(opts: SampleCliOptions): Promise<DatasetOptions & {
  data: string | string[]; batchSize?: number; threads?: number; method?: CalibrationMethod; perChannel?: boolean; optimize?: OptimizeSetting;
}> {
  if (opts.method !== undefined && !(CALIBRATION_METHODS as readonly string[]).includes(opts.method)) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected one of ${CALIBRATION_METHODS.join(', ')} for --method but received "${opts.method}"`);
  }
  if (opts.perChannel && opts.perTensor) throw new NpuqError('INVALID_ARGUMENT', 'pass either --per-channel or --per-tensor, not both');
  return {
    data: opts.data.length === 1 ? opts.data[0] : opts.data,
    inputConfig: opts.inputConfig ? await loadInputConfig(opts.inputConfig) : undefined,
    limit: opts.limit, batchSize: opts.batch, shuffleSeed: opts.seed, threads: opts.threads,
    method: opts.method as CalibrationMethod | undefined,
    perChannel: opts.perChannel ? true : opts.perTensor ? false : undefined,
    optimize: parseOptimize(opts.optimize),
  };
}
