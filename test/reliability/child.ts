/**
 * Runs a reliability child process under an address-space limit (so a case that asks for terabytes
 * fails with OUT_OF_MEMORY instead of swapping the machine to death), watches its progress file
 * for a stall (a hang) and reports a crash or a hang with the case that caused it.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Cases per fuzz kind. Default 10000. */
export const COUNT = Number(process.env.NPUQ_RELIABILITY_COUNT || 10000);
/** Seed of the fuzz runs (each case is reproducible from seed and index). Default 1. */
export const SEED = Number(process.env.NPUQ_RELIABILITY_SEED || 1);
/** Address-space limit of the fuzz children in MiB. Default 4096. */
export const MEMORY_MB = Number(process.env.NPUQ_FUZZ_MEMORY_MB || 4096);

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Index of the case running when the child ended (from the progress file). */
  lastCase?: number;
  /** Set when no case finished for `stallMs`. */
  hung: boolean;
}

export function runChild(script: string, args: string[], opts: { stallMs?: number; memoryMb?: number; nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ChildResult> {
  const progress = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-rel-')), 'progress');
  const stallMs = opts.stallMs ?? 60_000;
  const memKb = (opts.memoryMb ?? MEMORY_MB) * 1024;
  const node = [process.execPath, ...(opts.nodeArgs ?? []), path.join(__dirname, script), ...args, progress]
    .map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', `ulimit -v ${memKb} && exec ${node}`], { env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let lastSeen = '';
    let lastChange = Date.now();
    let hung = false;
    const readProgress = () => {
      try {
        return fs.readFileSync(progress, 'utf8').trim();
      } catch {
        return '';
      }
    };
    const watch = setInterval(() => {
      const p = readProgress();
      if (p !== lastSeen) {
        lastSeen = p;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stallMs) {
        hung = true;
        child.kill('SIGKILL');
      }
    }, 500);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearInterval(watch);
      const p = readProgress();
      fs.rmSync(path.dirname(progress), { recursive: true, force: true });
      resolve({ status, signal, stdout, stderr, hung, lastCase: p === '' ? undefined : Number(p) });
    });
  });
}

/** The last JSON line a child printed. */
export function summaryOf(r: ChildResult): Record<string, unknown> | undefined {
  const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
}

/** A one-paragraph account of a child that crashed, hung or failed, with the command to reproduce. */
export function explain(r: ChildResult, reproduce: (index: number) => string): string {
  const how = r.hung ? 'hung (no progress for the stall limit)' : r.signal ? `was killed by ${r.signal}` : `exited with ${r.status}`;
  const at = r.lastCase !== undefined ? ` at case ${r.lastCase}; reproduce with: ${reproduce(r.lastCase)}` : '';
  return `the child ${how}${at}\n${r.stderr.split('\n').slice(-15).join('\n')}`;
}
