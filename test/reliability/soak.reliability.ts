/**
 * Resources over time: NPUQ_RELIABILITY_CYCLES (default 1000) Session create/run/dispose cycles grow
 * the resident set by less than 10 MB after warm-up. The cycles run with glibc's allocator pinned
 * (one arena, fixed mmap threshold): by default each libuv worker thread gets its own malloc arena
 * that keeps the freed per-run buffers, so RSS climbs to a plateau (about 200 MB after ~1000 raw
 * native runs) that says nothing about leaks. V8's young generation is pinned too (1 MB semi-spaces):
 * it otherwise grows with the allocation rate, by 16 MB once a run of a batch also infers shapes
 * twice (the batch-split decision), a plateau with the live heap flat (3000 cycles grow the same
 * 13 MB as 1000; pinned, both stay within 1 MB). And the event loop is never held for more than 50 ms
 * (issue #8) while sessions are created, plans compiled, long batches run, a model quantized and
 * analysed (digits MobileNetV2; PP-OCRv4 det's Session.create and analyze() when installed): the
 * longest synchronous stretch of the main thread is its own CPU time between two ticks of a 5 ms
 * timer (event-loop.js), so a descheduled process on a busy machine does not count and a 100 ms
 * synchronous compile fails every time (a 100 ms canary checks the measurement).
 */
import { explain, runChild, summaryOf } from './child';

const CYCLES = Number(process.env.NPUQ_RELIABILITY_CYCLES || 1000);

describe('resources', () => {
  it(`${CYCLES} Session create/dispose cycles grow RSS by less than 10 MB`, async () => {
    const r = await runChild('soak-child.js', ['cycles', String(CYCLES)], {
      nodeArgs: ['--expose-gc', '--max-semi-space-size=1'], memoryMb: 16384, env: { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '65536' },
    });
    if (r.signal || r.status !== 0) throw new Error(explain(r, () => 'node --expose-gc test/reliability/soak-child.js cycles'));
    const s = summaryOf(r) as { cycles: number; rssBeforeMB: number; rssAfterMB: number; growthMB: number; ms: number };
    console.log(`create/dispose: ${s.cycles} cycles in ${s.ms} ms, RSS ${s.rssBeforeMB} -> ${s.rssAfterMB} MB (${s.growthMB} MB)`);
    expect(s.cycles).toBe(CYCLES);
    expect(s.growthMB).toBeLessThan(10);
  });

  it('the event loop is never held over 50 ms while sessions are created, plans compiled, batches run and analysed', async () => {
    const r = await runChild('soak-child.js', ['heartbeat', '3'], { memoryMb: 16384 });
    if (r.signal || r.status !== 0) throw new Error(explain(r, () => 'node test/reliability/soak-child.js heartbeat'));
    type Phase = { maxBlockedMs: number; maxGapMs: number; p99GapMs: number; ticks: number };
    const s = summaryOf(r) as { source: string; phases: Record<string, Phase>; goalPhases: string[]; work: string[]; durationMs: number };
    const lines = Object.entries(s.phases).map(([name, p]) => `  ${s.goalPhases.includes(name) ? '*' : ' '} ${name}: longest synchronous stretch ${p.maxBlockedMs} ms, max gap ${p.maxGapMs} ms, p99 gap ${p.p99GapMs} ms`);
    console.log(`event loop (${s.source === 'schedstat' ? 'main-thread CPU time per stretch' : 'wall clock only'}; * = held to 50 ms) in ${s.durationMs} ms:\n${lines.join('\n')}\n  ${s.work.join(', ')}`);
    // The canary proves the measurement sees a synchronous 100 ms stretch (a regression like a
    // synchronous plan compile) on a busy machine as well as on an idle one.
    const canary = Object.entries(s.phases).find(([name]) => name.startsWith('canary'))![1];
    expect(canary.maxBlockedMs).toBeGreaterThanOrEqual(90);
    expect(s.goalPhases.length).toBeGreaterThanOrEqual(2);
    const idle = s.goalPhases.filter((name) => !(s.phases[name]?.ticks > 10));
    expect(idle).toEqual([]);
    const over = s.goalPhases.filter((name) => s.phases[name].maxBlockedMs >= 50).map((name) => `${name}: ${s.phases[name].maxBlockedMs} ms`);
    expect(over).toEqual([]);
  });
});
