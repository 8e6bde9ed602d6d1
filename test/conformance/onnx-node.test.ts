/**
 * ONNX backend node tests (ONNX 1.12, opsets <= 17) against the float engine. See runner.ts for how
 * each test is run and classified. Writes the per-op table to out/conformance.md.
 *
 * Only a subset: NPUQ_ONNX_NODE_FILTER=<regexp on the test name>, e.g. `conv|pool`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as sessionModule from '../../lib/runtime/session';
import {
  applicable, claimedWithoutPass, describeFailure, failures, listNodeTests, NODE_TEST_ROOT, renderConsoleTable, renderReport,
  runAll, TestResult,
} from './runner';

const REPORT = path.join(__dirname, '..', '..', 'out', 'conformance.md');

/** The op types the engine claims: session.claimedOps(), else the IR registry's supportedOpTypes(). */
function claimedOps(): string[] {
  const fromSession = (sessionModule as { claimedOps?: () => Iterable<string> }).claimedOps;
  if (typeof fromSession === 'function') return [...fromSession()].sort();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const registry = require('../../lib/ir/ops/registry') as { supportedOpTypes?: () => Iterable<string> };
  if (typeof registry.supportedOpTypes !== 'function') {
    throw new Error('Neither lib/runtime/session claimedOps() nor lib/ir/ops/registry supportedOpTypes() exists');
  }
  return [...registry.supportedOpTypes()].sort();
}

const names = listNodeTests(NODE_TEST_ROOT);
const filter = process.env.NPUQ_ONNX_NODE_FILTER ? new RegExp(process.env.NPUQ_ONNX_NODE_FILTER) : undefined;

if (names === undefined) {
  describe('ONNX backend node tests', () => {
    test.skip(`skipped: ${NODE_TEST_ROOT} does not exist (install Debian's libonnx-testdata or set NPUQ_ONNX_NODE_TESTS)`, () => {});
  });
  // Also say so on the console: a skipped test is easy to miss.
  console.warn(`[conformance] ${NODE_TEST_ROOT} does not exist; ONNX node tests skipped (apt-get install libonnx-testdata, or set NPUQ_ONNX_NODE_TESTS)`);
} else {
  describe('ONNX backend node tests', () => {
    const selected = filter ? names.filter((n) => filter.test(n)) : names;
    let results: TestResult[] = [];
    let claimed: string[] = [];

    beforeAll(async () => {
      claimed = claimedOps();
      results = await runAll(NODE_TEST_ROOT, selected);
      const md = renderReport(results, NODE_TEST_ROOT, claimed);
      fs.mkdirSync(path.dirname(REPORT), { recursive: true });
      fs.writeFileSync(REPORT, md);
      console.log(`${renderConsoleTable(results)}\n\nReport written to ${path.relative(process.cwd(), REPORT)}`);
    }, 240_000);

    test('finds the node tests', () => {
      expect(selected.length).toBeGreaterThan(0);
      expect(results).toHaveLength(selected.length);
    });

    test('no test fails (runs but gives a wrong result, or crashes with a non-UNSUPPORTED error)', () => {
      // Also counts unsupported tests that, re-run adapted (as float32, at opset 7), give a wrong result.
      expect(failures(results).map(describeFailure).join('\n')).toBe('');
    });

    test('every claimed op passes at least one of its node tests', () => {
      // A test passing only when re-run adapted counts (e.g. ReduceLogSumExp, whose tests are all
      // float64). Tests refused for their opset that cannot be re-run at the floor do not count;
      // out/conformance.md lists the claimed ops left without any applicable test.
      const lines = claimedWithoutPass(results, claimed).map((op) => {
        const why = applicable(results, op).map((r) =>
          `  ${r.name}: ${r.status} ${r.detail ?? ''}${r.rerun ? ` (re-run as ${r.rerun.as}: ${r.rerun.status} ${r.rerun.detail ?? ''})` : ''}`);
        return `${op}:\n${why.join('\n')}`;
      });
      expect(lines.join('\n')).toBe('');
    });
  });
}
