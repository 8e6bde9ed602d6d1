// Event-loop blocking monitor used by soak-child.js (the heartbeat test) and bench/event-loop.js.
//
// A timer ticks every `intervalMs`. Between two ticks the event loop ran callbacks without a break
// (a turn that would have let the timer run ends the gap), so the main thread's own CPU time in a gap
// is the longest synchronous stretch in it. On Linux that CPU time comes from
// /proc/self/task/<pid>/schedstat (the main thread only, in ns; engine and libuv worker threads are
// not counted): a process descheduled on a busy machine shows long wall-clock gaps but no CPU time
// in them, while a 100 ms synchronous compile shows ~100 ms of CPU wherever it runs. Elsewhere only
// the wall-clock gap is available (`source: 'wall'`). monitorEventLoopDelay gives the wall-clock p99.
// Work is labelled with phase(name); a stretch that spans a phase change counts for both phases.
'use strict';
const fs = require('fs');
const { monitorEventLoopDelay } = require('perf_hooks');

const STAT = `/proc/self/task/${process.pid}/schedstat`;

/** Main-thread on-CPU time in ms, or undefined where schedstat is not available. */
function mainThreadCpuMs() {
  try {
    return Number(fs.readFileSync(STAT, 'latin1').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/** Spins on the main thread until it has used `ms` of CPU (wall clock where CPU is unknown). */
function spin(ms) {
  const cpu0 = mainThreadCpuMs();
  const t0 = performance.now();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 10000; i++) x += Math.sqrt(i + x);
    const cpu = mainThreadCpuMs();
    if ((cpu0 !== undefined ? cpu - cpu0 : performance.now() - t0) >= ms) return x;
  }
}

class BlockMonitor {
  constructor(intervalMs = 5) {
    this.intervalMs = intervalMs;
    this.phaseName = 'start';
    this.source = mainThreadCpuMs() === undefined ? 'wall' : 'schedstat';
    this.phases = new Map();
    // Phases entered since the last tick: a gap counts for the phase it started in and each of these.
    this.entered = new Set();
  }

  /** Names the work that follows (each phase gets its own figures, its wall-clock p99 included). */
  phase(name) {
    this.current?.delay.disable();
    this.phaseName = name;
    if (!this.phases.has(name)) this.phases.set(name, { maxBlockedMs: 0, maxGapMs: 0, ticks: 0, delay: monitorEventLoopDelay({ resolution: 1 }) });
    this.current = this.phases.get(name);
    this.entered.add(this.current);
    if (this.timer) this.current.delay.enable();
  }

  /**
   * Waits until the timer has ticked (the work of the current phase is over), then starts phase
   * `name`; unlike phase(), the next stretch then counts for `name` alone.
   */
  async enter(name) {
    await new Promise((r) => setTimeout(r, 4 * this.intervalMs));
    // The timer ticked while we waited, so the next gap starts in the new phase only.
    this.entered = new Set();
    this.phase(name);
  }

  start() {
    this.delay = monitorEventLoopDelay({ resolution: 1 });
    this.delay.enable();
    this.t0 = performance.now();
    let lastWall = performance.now();
    let lastCpu = mainThreadCpuMs();
    this.timer = setInterval(() => {
      const wall = performance.now();
      const cpu = mainThreadCpuMs();
      const gap = wall - lastWall;
      // The timer's own interval is idle time: without CPU figures, the best estimate is the excess.
      const blocked = cpu !== undefined && lastCpu !== undefined ? cpu - lastCpu : Math.max(0, gap - this.intervalMs);
      for (const p of this.entered) {
        p.ticks++;
        if (blocked > p.maxBlockedMs) p.maxBlockedMs = blocked;
        if (gap > p.maxGapMs) p.maxGapMs = gap;
      }
      this.entered = new Set([this.current]);
      lastWall = wall;
      lastCpu = cpu;
    }, this.intervalMs);
    this.phase(this.phaseName);
  }

  /** Stops and returns { source, durationMs, p99GapMs, maxBlockedMs, maxBlockedDuring, maxGapMs, phases }. */
  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    this.delay.disable();
    this.current?.delay.disable();
    const r1 = (v) => Math.round(v * 10) / 10;
    const phases = {};
    let maxBlockedMs = 0, maxBlockedDuring = '', maxGapMs = 0;
    for (const [name, p] of this.phases) {
      if (p.ticks === 0) continue;
      const p99 = p.delay.count ? p.delay.percentile(99) / 1e6 : 0;
      phases[name] = { maxBlockedMs: r1(p.maxBlockedMs), maxGapMs: r1(p.maxGapMs), p99GapMs: r1(p99), ticks: p.ticks };
      if (p.maxBlockedMs > maxBlockedMs) { maxBlockedMs = p.maxBlockedMs; maxBlockedDuring = name; }
      maxGapMs = Math.max(maxGapMs, p.maxGapMs);
    }
    return {
      source: this.source, durationMs: Math.round(performance.now() - this.t0), p99GapMs: r1(this.delay.percentile(99) / 1e6),
      maxBlockedMs: r1(maxBlockedMs), maxBlockedDuring, maxGapMs: r1(maxGapMs), phases,
    };
  }
}

module.exports = { BlockMonitor, mainThreadCpuMs, spin };
