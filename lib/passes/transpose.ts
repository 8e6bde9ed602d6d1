/**
 * Transpose pair cancellation: Transpose(p2) of Transpose(p1) reads x's axis p1[p2[d]] in output dim
 * d, so the pair is one Transpose with perm q[d] = p1[p2[d]], or nothing when q is the identity.
 * A single Transpose with the identity perm is removed too. Exact (data movement only).
 */
import type { Graph, Node } from '../ir/graph';
import { result, type Pass, type PassContext, type PassResult } from './pass';
import { bypass, removeDead, tryInfer } from './util';

function permOf(n: Node, rank: number | undefined): number[] | undefined {
  if (n.has('perm')) return n.attrInts('perm');
  return rank === undefined ? undefined : Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

const isIdentity = (p: readonly number[]) => p.every((v, i) => v === i);

/** Composes Transpose pairs into one Transpose and removes identity Transposes, repeatedly. */
export function cancelTransposes(graph: Graph, ctx: PassContext = {}): PassResult {
  const changes: string[] = [];
  // Rewrites change no value's shape, so one inference serves every round.
  const types = tryInfer(graph, ctx).types;
  const rankOf = (v: string) => types?.get(v)?.shape?.length;
  for (;;) {
    const producers = graph.producers();
    let done = false;
    for (const t2 of graph.nodes) {
      if (t2.opType !== 'Transpose' || t2.domain !== '' || !t2.inputs[0] || !t2.outputs[0]) continue;
      const t1 = producers.get(t2.inputs[0]);
      const pair = t1 !== undefined && t1.opType === 'Transpose' && t1.domain === '' && t1.inputs[0] !== undefined;
      const p2 = permOf(t2, (pair && t1.has('perm') ? t1.attrInts('perm').length : undefined) ?? rankOf(t2.inputs[0]));
      if (pair) {
        // Two default (reversing) perms compose to the identity whatever the rank.
        const p1 = permOf(t1, p2?.length ?? rankOf(t1.inputs[0]));
        const q = p1 && p2 ? p2.map((d) => p1[d]) : !t1.has('perm') && !t2.has('perm') ? [] : undefined;
        if (q === undefined) continue;
        const what = `${t1.describe()} and ${t2.describe()}`;
        if (isIdentity(q)) {
          const r = bypass(graph, t2, t1.inputs[0], t2.outputs[0]);
          changes.push(r === 'removed' ? `cancelled ${what}` : `cancelled ${what} (an Identity keeps the graph output)`);
        } else {
          t2.inputs[0] = t1.inputs[0];
          t2.attrs.set('perm', { kind: 'ints', value: q });
          changes.push(`composed ${what} into one Transpose with perm [${q.join(',')}]`);
        }
        done = true;
        break;
      }
      if (p2 && isIdentity(p2)) {
        const r = bypass(graph, t2, t2.inputs[0], t2.outputs[0]);
        if (r === 'kept') continue;
        changes.push(`removed ${t2.describe()} (identity perm)`);
        done = true;
        break;
      }
    }
    if (!done) break;
    removeDead(graph);
  }
  return result(changes);
}

export const CANCEL_TRANSPOSES: Pass = {
  name: 'cancel-transposes',
  description: 'cancel Transpose pairs whose perms compose to the identity, compose other pairs into one Transpose',
  run: cancelTransposes,
};
