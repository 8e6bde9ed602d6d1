import { planMemory, type Lifetime } from '../../lib/runtime/memory-plan';

function overlaps(a: Lifetime, b: Lifetime): boolean {
  return a.first <= b.last && b.first <= a.last;
}

describe('planMemory', () => {
  it('never gives two live tensors overlapping bytes, and reuses dead memory', () => {
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let trial = 0; trial < 200; trial++) {
      const ts: Lifetime[] = [];
      const steps = 5 + rand(40);
      for (let id = 0; id < 2 + rand(60); id++) {
        const first = rand(steps) - 1;
        const last = rand(4) === 0 ? Infinity : first + rand(6);
        ts.push({ id, bytes: 1 + rand(5000), first, last });
      }
      const { offsets, arenaBytes } = planMemory(ts);
      for (const t of ts) {
        const o = offsets.get(t.id)!;
        expect(o % 64).toBe(0);
        expect(o + t.bytes).toBeLessThanOrEqual(arenaBytes);
      }
      for (let i = 0; i < ts.length; i++)
        for (let j = i + 1; j < ts.length; j++) {
          if (!overlaps(ts[i], ts[j])) continue;
          const [a, b] = [ts[i], ts[j]];
          const ao = offsets.get(a.id)!, bo = offsets.get(b.id)!;
          const disjoint = ao + a.bytes <= bo || bo + b.bytes <= ao;
          if (!disjoint) throw new Error(`tensors ${a.id} and ${b.id} overlap in trial ${trial}`);
        }
    }
  });

  it('reuses the memory of a chain of layers', () => {
    const chain: Lifetime[] = Array.from({ length: 10 }, (_, i) => ({ id: i, bytes: 1000, first: i - 1, last: i }));
    const { arenaBytes } = planMemory(chain);
    expect(arenaBytes).toBeLessThanOrEqual(2 * 1024);
  });
});
