#!/usr/bin/env node
/**
 * The npuquant command line. Each subcommand lives in lib/cli/commands/. Errors end the process with
 * a non-zero exit code and a one-line reason on stderr.
 */
import { Command, CommanderError } from 'commander';
import { registerAnalyze } from './commands/analyze';
import { registerBench } from './commands/bench';
import { registerCompare } from './commands/compare';
import { registerCompareModels } from './commands/compare-models';
import { registerHybrid } from './commands/hybrid';
import { registerExport } from './commands/export';
import { registerInspect } from './commands/inspect';
import { registerOptimize } from './commands/optimize';
import { registerQuantize } from './commands/quantize';
import { registerRun } from './commands/run';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('npuquant')
    .description('Run, quantize and analyse ONNX models for edge NPUs')
    .version(require('../../package.json').version as string)
    .showHelpAfterError()
    .exitOverride();
  registerInspect(program);
  registerRun(program);
  registerOptimize(program);
  registerQuantize(program);
  registerAnalyze(program);
  registerHybrid(program);
  registerCompareModels(program);
  registerCompare(program);
  registerExport(program);
  registerBench(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    // A command may end with a non-zero code of its own (inspect, compare: 2).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version exit with code 0; usage errors were already printed by commander.
      return e.exitCode;
    }
    const err = e as Error & { code?: string };
    process.stderr.write(`npuquant: ${err.code ? `[${err.code}] ` : ''}${err.message}\n`);
    if (process.env.NPUQ_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
