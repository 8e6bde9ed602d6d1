/**
 * Arena memory planning for one compiled plan: every non-constant tensor gets a 64-byte aligned
 * offset; tensors whose lifetimes do not overlap share memory (greedy first fit over a free list, in
 * execution order). Graph inputs are live from the start, requested outputs until the end.
 */

export interface Lifetime {
  /** Tensor id. */
  id: number;
  bytes: number;
  /** Step that writes it (-1 for plan inputs). */
  first: number;
  /** Last step that reads it (Infinity for plan outputs). */
  last: number;
}

export interface MemoryPlan {
  offsets: Map<number, number>;
  arenaBytes: number;
}

import { runSteps, type Steps } from '../ir/steps';

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export function planMemory(lifetimes: Lifetime[]): MemoryPlan {
  return runSteps(planMemorySteps(lifetimes));
}

/** {@link planMemory} as steps (one per tensor), for compiling in time slices (lib/ir/steps.ts). */
export function* planMemorySteps(lifetimes: Lifetime[]): Steps<MemoryPlan> {
  const offsets = new Map<number, number>();
  // Free blocks sorted by offset: [offset, size].
  let free: [number, number][] = [];
  let top = 0;
  const order = lifetimes.slice().sort((a, b) => a.first - b.first || b.bytes - a.bytes);
  // Releases are processed when the allocation step passes a tensor's last use.
  const live: Lifetime[] = [];
  const release = (step: number) => {
    let released = false;
    for (let i = live.length - 1; i >= 0; i--) {
      const t = live[i];
      if (t.last < step) {
        live.splice(i, 1);
        free.push([offsets.get(t.id)!, align(Math.max(t.bytes, 1))]);
        released = true;
      }
    }
    // The free list stays sorted and merged between releases: only a release changes it that way.
    if (!released) return;
    free.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const blk of free) {
      const prev = merged[merged.length - 1];
      if (prev && prev[0] + prev[1] === blk[0]) prev[1] += blk[1];
      else merged.push([blk[0], blk[1]]);
    }
    free = merged;
  };
  for (const t of order) {
    release(t.first);
    const size = align(Math.max(t.bytes, 1));
    let best = -1;
    for (let i = 0; i < free.length; i++) {
      if (free[i][1] >= size && (best < 0 || free[i][1] < free[best][1])) best = i;
    }
    let off: number;
    if (best >= 0) {
      off = free[best][0];
      free[best][0] += size;
      free[best][1] -= size;
      if (free[best][1] === 0) free.splice(best, 1);
    } else {
      // Grow: reuse a free block at the top of the arena if there is one.
      const last = free[free.length - 1];
      if (last && last[0] + last[1] === top) {
        off = last[0];
        top = off + size;
        free.pop();
      } else {
        off = top;
        top += size;
      }
    }
    offsets.set(t.id, off);
    live.push(t);
    yield;
  }
  return { offsets, arenaBytes: top };
}
