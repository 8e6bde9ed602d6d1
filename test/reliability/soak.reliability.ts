/**
 * Resources over time: NPUQ_RELIABILITY_CYCLES (default 1000) Session create/run/dispose cycles grow
 * the resident set by less than 10 MB after warm-up. The cycles run with glibc's allocator pinned
 * (one arena, fixed mmap threshold): by default each libuv worker thread gets its own malloc arena
 * that keeps the freed per-run buffers, so RSS climbs to a plateau (about 200 MB after ~1000 raw
 * native runs) that says nothing about leaks. And a 10 ms heartbeat timer is never held up
 * for more than 200 ms while sessions are created and long batches run (a generous bound, as the
 * machine may be shared; the measured gap is printed).
 */
import { explain, runChild, summaryOf } from './child';

const CYCLES = Number(process.env.NPUQ_RELIABILITY_CYCLES || 1000);

describe('resources', () => {
  it(`${CYCLES} Session create/dispose cycles grow RSS by less than 10 MB`, async () => {
    const r = await runChild('soak-child.js', ['cycles', String(CYCLES)], {
      nodeArgs: ['--expose-gc'], memoryMb: 16384, env: { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '65536' },
    });
    if (r.signal || r.status !== 0) throw new Error(explain(r, () => 'node --expose-gc test/reliability/soak-child.js cycles'));
    const s = summaryOf(r) as { cycles: number; rssBeforeMB: number; rssAfterMB: number; growthMB: number; ms: number };
    console.log(`create/dispose: ${s.cycles} cycles in ${s.ms} ms, RSS ${s.rssBeforeMB} -> ${s.rssAfterMB} MB (${s.growthMB} MB)`);
    expect(s.cycles).toBe(CYCLES);
    expect(s.growthMB).toBeLessThan(10);
  });

  it('the event loop keeps ticking while sessions are created and long batches run', async () => {
    const r = await runChild('soak-child.js', ['heartbeat', '3'], { memoryMb: 16384 });
    if (r.signal || r.status !== 0) throw new Error(explain(r, () => 'node test/reliability/soak-child.js heartbeat'));
    const s = summaryOf(r) as { maxGapMs: number; maxGapDuring: string; ticks: number; durationMs: number; work: string[] };
    console.log(`heartbeat: largest gap ${s.maxGapMs} ms (during ${s.maxGapDuring}), ${s.ticks} ticks in ${s.durationMs} ms; ${s.work.join(', ')}`);
    expect(s.ticks).toBeGreaterThan(s.durationMs / 40);
    expect(s.maxGapMs).toBeLessThan(200);
  });
});
