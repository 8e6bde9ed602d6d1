/**
 * Mutated ONNX models and TensorProto files (test/reliability/mutate.js): every load and run must
 * end in success or in an error with a code, never in a crash or a hang. The loops run in child
 * processes (fuzz-child.js) under an address-space limit; a crash or hang is reported with the
 * seed and case index and the command that reproduces it. Counts: NPUQ_RELIABILITY_COUNT cases per
 * kind (default 10000), seed NPUQ_RELIABILITY_SEED (default 1).
 */
import { COUNT, SEED, explain, runChild, summaryOf } from './child';

interface FuzzSummary {
  cases: number;
  ok: number;
  errors: Record<string, number>;
  failures: { index: number; what: string; error: string }[];
  failureCount: number;
  slowest: { index?: number; what?: string; ms: number };
}

async function fuzz(kind: 'onnx' | 'tensor'): Promise<FuzzSummary> {
  const r = await runChild('fuzz-child.js', [kind, String(SEED), String(COUNT)]);
  const reproduce = (i: number) => `node test/reliability/fuzz-child.js ${kind} ${SEED} 1 --only ${i}`;
  if (r.hung || r.signal || r.status !== 0) throw new Error(explain(r, reproduce));
  const s = summaryOf(r) as unknown as FuzzSummary;
  console.log(`${kind} fuzz, seed ${SEED}: ${s.cases} cases, ${s.ok} ok, errors ${JSON.stringify(s.errors)}, slowest ${s.slowest.ms} ms (${s.slowest.what})`);
  return s;
}

describe('fuzzed inputs end in a coded error, never a crash or a hang', () => {
  it(`${COUNT} mutated ONNX models (bit flips, truncation, dims, dtypes, int64 constants, attributes, wiring)`, async () => {
    const s = await fuzz('onnx');
    expect(s.cases).toBe(COUNT);
    expect(s.failures.map((f) => `case ${f.index} (${f.what}): ${f.error}`)).toEqual([]);
    // The mutations must reach the engine, not only the protobuf decoder.
    expect(s.ok).toBeGreaterThan(COUNT / 10);
  });

  it(`${COUNT} mutated TensorProto files (dims, dtypes, data lengths, external data, segments)`, async () => {
    const s = await fuzz('tensor');
    expect(s.cases).toBe(COUNT);
    expect(s.failures.map((f) => `case ${f.index} (${f.what}): ${f.error}`)).toEqual([]);
  });

  it('models that once crashed or failed without a code now end in a coded error or succeed', async () => {
    const r = await runChild('regressions-child.js', []);
    if (r.signal || r.status !== 0) throw new Error(explain(r, () => 'node test/reliability/regressions-child.js'));
    const out = summaryOf(r) as Record<string, string>;
    expect(Object.keys(out).length).toBe(4);
    expect(Object.entries(out).filter(([, v]) => v.startsWith('FAILURE'))).toEqual([]);
  });
});
