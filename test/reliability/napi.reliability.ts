/**
 * The N-API surface of the addon file (NPUQ_ADDON, default build/Release/npuquant.node) called with
 * wrong types, wrong lengths, detached and shared buffers, out-of-range values and bad options, and
 * NPUQ_RELIABILITY_COUNT randomly mutated native plans: JS errors with codes, never an abort. Runs in
 * a child process (napi-child.js) so a crash is reported with its case.
 */
import { COUNT, SEED, explain, runChild, summaryOf } from './child';

describe('N-API surface', () => {
  it(`misuse and ${COUNT} mutated plans end in coded errors`, async () => {
    const r = await runChild('napi-child.js', [String(SEED), String(COUNT)]);
    if (r.hung || r.signal || r.status !== 0) {
      throw new Error(explain(r, (i) => `node test/reliability/napi-child.js ${SEED} 1 --only ${i}`));
    }
    const s = summaryOf(r) as { passed: number; failed: number; fuzz: { cases: number; constructed: number; ran: number; errors: Record<string, number> } };
    const notOk = r.stdout.split('\n').filter((l) => l.startsWith('not ok'));
    console.log(`N-API checks: ${s.passed} passed, ${s.failed} failed; plans: ${s.fuzz.cases} cases, ${s.fuzz.constructed} constructed, ${s.fuzz.ran} ran, errors ${JSON.stringify(s.fuzz.errors)}`);
    expect(notOk).toEqual([]);
    expect(s.failed).toBe(0);
    expect(s.passed).toBeGreaterThan(90);
    expect(s.fuzz.cases).toBe(COUNT);
    expect(s.fuzz.ran).toBeGreaterThan(0);
  });
});
