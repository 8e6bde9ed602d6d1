/** Tallies per op type and the markdown / console reports of a conformance run. */
import { MIN_OPSET } from '../../lib/io/onnx/graph-from-proto';
import { ATOL, fmt, RTOL } from './compare';
import { belowOpsetFloor, type Status, type TestResult } from './testdata';

export interface OpRow {
  opType: string;
  tests: number;
  pass: number;
  fail: number;
  unsupported: number;
  /** Unsupported tests that pass when re-run adapted (TestResult.rerun). */
  passOnRerun: number;
}

/** Tests that count as failures: FAIL, or an adapted re-run that ran but was wrong. */
export function failures(results: readonly TestResult[]): TestResult[] {
  return results.filter((r) => r.status === 'FAIL' || r.rerun?.status === 'FAIL');
}

/** Whether a test shows the op working: PASS, or PASS when re-run adapted. */
export function passesSomehow(r: TestResult): boolean {
  return r.status === 'PASS' || r.rerun?.status === 'PASS';
}

/**
 * Tests that say something about their op: all but those refused only for their opset that could
 * not be re-run at the loader's floor.
 */
export function applicable(results: readonly TestResult[], op: string): TestResult[] {
  return results.filter((r) => r.opType === op && !(belowOpsetFloor(r) && r.rerun === undefined));
}

/** Claimed ops that have applicable node tests but pass none of them (not even re-run adapted). */
export function claimedWithoutPass(results: readonly TestResult[], claimed: readonly string[]): string[] {
  return claimed.filter((op) => {
    const mine = applicable(results, op);
    return mine.length > 0 && !mine.some(passesSomehow);
  });
}

/** How a failure reads in messages: the run that failed, its max abs error and detail. */
export function describeFailure(r: TestResult): string {
  const f = r.status === 'FAIL' ? r : { maxAbs: r.rerun!.maxAbs, detail: `re-run as ${r.rerun!.as}: ${r.rerun!.detail ?? ''}` };
  return `${r.name} [${r.opType}]${f.maxAbs !== undefined ? ` max abs err ${fmt(f.maxAbs)}` : ''}: ${f.detail ?? ''}`;
}

export function tallyByOp(results: readonly TestResult[]): OpRow[] {
  const rows = new Map<string, OpRow>();
  for (const r of results) {
    let row = rows.get(r.opType);
    if (!row) rows.set(r.opType, (row = { opType: r.opType, tests: 0, pass: 0, fail: 0, unsupported: 0, passOnRerun: 0 }));
    row.tests++;
    if (r.status === 'PASS') row.pass++;
    else if (r.status === 'FAIL') row.fail++;
    else row.unsupported++;
    if (r.rerun?.status === 'PASS') row.passOnRerun++;
  }
  return [...rows.values()].sort((a, b) => (a.opType < b.opType ? -1 : a.opType > b.opType ? 1 : 0));
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function count(results: readonly TestResult[], s: Status): number {
  return results.filter((r) => r.status === s).length;
}

/** The markdown report: totals, the per-op table, failures and unsupported tests with reasons. */
export function renderReport(results: readonly TestResult[], root: string, claimed?: readonly string[]): string {
  const rows = tallyByOp(results);
  const lines: string[] = [];
  const viaOrt = results.filter((r) => r.viaOnnxruntime !== undefined).length;
  const rerunPass = results.filter((r) => r.rerun?.status === 'PASS').length;
  lines.push('# ONNX backend node tests', '');
  lines.push(`Source: \`${root}\` (ONNX 1.12 backend node tests). Tolerance: rtol ${RTOL}, atol ${ATOL} (numpy assert_allclose); exact for integer/bool/string.`, '');
  lines.push(
    `**${results.length} tests: ${count(results, 'PASS')} pass${viaOrt ? ` (${viaOrt} by matching onnxruntime, see below)` : ''}, ` +
      `${count(results, 'FAIL')} fail, ${count(results, 'UNSUPPORTED')} unsupported (of which ${rerunPass} pass when re-run adapted).**`, '');
  if (claimed) {
    const withTests = claimed.filter((op) => results.some((r) => r.opType === op));
    const noPass = claimedWithoutPass(results, claimed);
    const onlyOld = withTests.filter((op) => applicable(results, op).length === 0);
    const noTests = claimed.filter((op) => !withTests.includes(op));
    lines.push(`Claimed ops: ${claimed.length}; with node tests: ${withTests.length}; claimed but no passing test: ${noPass.length ? noPass.join(', ') : 'none'}.`, '');
    if (onlyOld.length) {
      lines.push(`Claimed ops whose only node tests use an opset below ${MIN_OPSET} and cannot be re-run at ${MIN_OPSET} (not exercised here): ${onlyOld.join(', ')}.`, '');
    }
    if (noTests.length) lines.push(`Claimed ops without node tests: ${noTests.join(', ')}.`, '');
  }
  lines.push('| op type | tests | pass | fail | unsupported | of which pass re-run |', '|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const mark = claimed?.includes(r.opType) ? ' *' : '';
    lines.push(`| ${mdEscape(r.opType)}${mark} | ${r.tests} | ${r.pass} | ${r.fail || ''} | ${r.unsupported || ''} | ${r.passOnRerun || ''} |`);
  }
  lines.push(`| **total** | ${results.length} | ${count(results, 'PASS')} | ${count(results, 'FAIL')} | ${count(results, 'UNSUPPORTED')} | ${rerunPass} |`, '');
  if (claimed) lines.push('`*` = claimed by the session (`claimedOps()`).', '');
  lines.push(
    '"of which pass re-run": unsupported tests that pass when re-run adapted without changing what they check: ' +
      'float64 demoted to float32 (compared with the float64 reference at the same tolerance), or, for models below ' +
      `the loader's opset floor whose ops did not change up to opset ${MIN_OPSET}, the opset import raised to ${MIN_OPSET}. ` +
      'See test/conformance/quirks.ts.', '');

  const fails = failures(results);
  lines.push('## Failures', '');
  if (fails.length === 0) lines.push('None.');
  else {
    lines.push('| test | op | max abs err | detail |', '|---|---|---:|---|');
    for (const r of fails) {
      const onRerun = r.status !== 'FAIL';
      const maxAbs = onRerun ? r.rerun!.maxAbs : r.maxAbs;
      const detail = onRerun ? `re-run as ${r.rerun!.as}: ${r.rerun!.detail ?? ''}` : r.detail ?? '';
      lines.push(`| ${r.name} | ${mdEscape(r.opType)} | ${maxAbs === undefined ? '' : fmt(maxAbs)} | ${mdEscape(detail)} |`);
    }
  }
  const noted = results.filter((r) => r.viaOnnxruntime !== undefined);
  if (noted.length) {
    lines.push('', '## Passing by matching onnxruntime (disputed ONNX 1.12 reference outputs)', '');
    lines.push('| test | op | detail |', '|---|---|---|');
    for (const r of noted) lines.push(`| ${r.name} | ${mdEscape(r.opType)} | ${mdEscape(r.viaOnnxruntime ?? '')} |`);
  }
  const relaxed = results.filter((r) => r.relaxedInputs !== undefined);
  if (relaxed.length) {
    lines.push('', '## Test models whose declared input shapes contradict their own data (declaration dropped)', '');
    lines.push('| test | status | inputs |', '|---|---|---|');
    for (const r of relaxed) lines.push(`| ${r.name} | ${r.status} | ${mdEscape(r.relaxedInputs!.join('; '))} |`);
  }
  lines.push('', '## Unsupported', '');
  const unsup = results.filter((r) => r.status === 'UNSUPPORTED');
  if (unsup.length === 0) lines.push('None.');
  else {
    lines.push('| test | op | stage | reason | re-run |', '|---|---|---|---|---|');
    for (const r of unsup) {
      const re = r.rerun ? `as ${r.rerun.as}: ${r.rerun.status}${r.rerun.status !== 'PASS' && r.rerun.detail ? ` (${r.rerun.detail})` : ''}` : '';
      lines.push(`| ${r.name} | ${mdEscape(r.opType)} | ${r.stage} | ${mdEscape(r.detail ?? '')} | ${mdEscape(re)} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** A plain-text table for the console. */
export function renderConsoleTable(results: readonly TestResult[]): string {
  const rows = tallyByOp(results);
  const w = Math.max(8, ...rows.map((r) => r.opType.length));
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  const line = (op: string, tests: number, pass: number, fail: number, unsup: number, rerun: number) =>
    `${op.padEnd(w)}  ${pad(tests, 5)}  ${pad(pass, 4)}  ${pad(fail, 4)}  ${pad(unsup, 5)}  ${rerun ? pad(rerun, 9) : ''}`;
  const out = [`${'op type'.padEnd(w)}  tests  pass  fail  unsup  rerun ok`];
  for (const r of rows) out.push(line(r.opType, r.tests, r.pass, r.fail, r.unsupported, r.passOnRerun));
  const rerunPass = results.filter((r) => r.rerun?.status === 'PASS').length;
  out.push(line('TOTAL', results.length, count(results, 'PASS'), count(results, 'FAIL'), count(results, 'UNSUPPORTED'), rerunPass));
  return out.join('\n');
}
