import type { Command } from 'commander';
import { readNpy } from '../../data/npy';
import { NpuqError } from '../../errors';
import { compareArrays, DEFAULT_ATOL, DEFAULT_RTOL, type CompareResult } from '../../report/compare';

interface CompareCliOptions {
  atol: string;
  rtol: string;
  show: string;
  json?: boolean;
}

function nonNegative(v: string, flag: string, integer = false): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < 0 || (integer && !Number.isInteger(x))) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected ${integer ? 'an integer' : 'a finite number'} >= 0 for ${flag} but received "${v}"`);
  }
  return x;
}

const g = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x));
const idx = (i: number[] | null) => (i === null ? '-' : `[${i.join(', ')}]`);

function print(fileA: string, fileB: string, r: CompareResult, dtypes: [string, string]): string {
  const lines = [
    `a: ${fileA}  ${dtypes[0]} [${r.shape.join(',')}]`,
    `b: ${fileB}  ${dtypes[1]} [${r.shape.join(',')}]  (reference)`,
    `cosine           ${r.cosine.toFixed(8)}`,
    `max abs error    ${g(r.maxAbsError)}  at ${idx(r.maxAbsIndex)}`,
    `max rel error    ${g(r.maxRelError)}  (|a - b| / |b| where b != 0)`,
    `mean abs error   ${g(r.meanAbsError)}`,
  ];
  if (r.nonFinite > 0) lines.push(`non-finite       ${r.nonFinite} elements where a or b is NaN/inf and they differ`);
  lines.push(`failing          ${r.failing} of ${r.size} (${(r.failingShare * 100).toFixed(4)}%) with |a - b| <= atol + rtol * |b|, atol ${r.atol}, rtol ${r.rtol}`);
  if (r.firstFailing.length) {
    lines.push(`first failing${r.failing > r.firstFailing.length ? ` (${r.firstFailing.length} of ${r.failing})` : ''}:`);
    for (const f of r.firstFailing) {
      lines.push(`  ${idx(f.index).padEnd(18)} a=${g(f.a)}  b=${g(f.b)}  |a-b|=${g(f.absError)}  allowed ${g(r.atol + r.rtol * Math.abs(f.b))}`);
    }
  }
  lines.push(r.allClose ? 'PASS: every element is within tolerance' : `FAIL: ${r.failing} element${r.failing === 1 ? '' : 's'} out of tolerance`);
  return `${lines.join('\n')}\n`;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('Compare two .npy arrays element by element (A under test, B the reference)')
    .argument('<a>', '.npy file under test')
    .argument('<b>', 'reference .npy file (same shape)')
    .option('--atol <x>', 'absolute tolerance', String(DEFAULT_ATOL))
    .option('--rtol <x>', 'relative tolerance, times |b|', String(DEFAULT_RTOL))
    .option('--show <n>', 'how many failing elements to list', '10')
    .option('--json', 'print one JSON object instead of text')
    .addHelpText('after', `
An element passes when |a - b| <= atol + rtol * |b| (the numpy.allclose rule; b is the reference).
NaN never passes; equal infinities pass. The defaults (atol ${DEFAULT_ATOL}, rtol ${DEFAULT_RTOL}) are the Pulsar2 guide's.
Prints cosine, max abs error, max rel error, mean abs error and the failing elements.
Exit code: 0 when every element passes, 2 when some fail, 1 on error (unreadable file, shape mismatch).`)
    .action((fileA: string, fileB: string, opts: CompareCliOptions) => {
      const atol = nonNegative(opts.atol, '--atol');
      const rtol = nonNegative(opts.rtol, '--rtol');
      const maxListed = nonNegative(opts.show, '--show', true);
      const a = readNpy(fileA);
      const b = readNpy(fileB);
      for (const [t, f] of [[a, fileA], [b, fileB]] as const) {
        if (t.dtype === 'string') throw new NpuqError('UNSUPPORTED', `"${f}" holds strings; compare needs numeric arrays`);
      }
      if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
        const hint = a.size === b.size ? '; they have the same number of elements, so reshape one of them' : '';
        throw new NpuqError('SHAPE_MISMATCH', `"${fileA}" has shape [${a.shape.join(',')}] but "${fileB}" has shape [${b.shape.join(',')}]; compare needs equal shapes${hint}`);
      }
      const r = compareArrays(a, b, { atol, rtol, maxListed });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ a: fileA, b: fileB, dtypes: [a.dtype, b.dtype], ...r })}\n`);
      } else {
        process.stdout.write(print(fileA, fileB, r, [a.dtype, b.dtype]));
      }
      if (!r.allClose) process.exitCode = 2;
    });
}
