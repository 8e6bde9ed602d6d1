/**
 * Independent detectors of the patterns each pass removes, for asserting "the pattern is gone" on
 * real models. They are written from the pattern definitions, not from the pass code.
 */
import type { Graph, Node } from '../../lib/ir/graph';
import { matchHardSwish } from '../../lib/passes/hardswish';

const isConst = (g: Graph, v: string) => g.initializers.has(v);

/** Per-channel constant over rank-4 NCHW (scalar, [C], [C,1,1], [1,C,1,1]) of a float type. */
function perChannelConst(g: Graph, v: string): boolean {
  const t = g.initializers.get(v);
  if (!t || t.dtype !== 'float32' || t.shape.length > 4) return false;
  const s = [...new Array<number>(4 - t.shape.length).fill(1), ...t.shape];
  return s[0] === 1 && s[2] === 1 && s[3] === 1;
}

function readers(g: Graph, v: string): Node[] {
  return g.nodes.filter((n) => n.inputs.includes(v));
}

const AFFINE = new Set(['Mul', 'Add', 'Sub', 'Div']);

/** Count of each pattern, by the name of the pass that removes it. */
export const PATTERNS: Record<string, (g: Graph) => number> = {
  // Nodes computing only from constants (Q/DQ excluded).
  'constant-fold': (g) => g.nodes.filter((n) => !['QuantizeLinear', 'DequantizeLinear'].includes(n.opType)
    && n.inputs.every((i) => !i || isConst(g, i))).length,
  'remove-identity': (g) => g.nodes.filter((n) => n.opType === 'Identity' || n.opType === 'Dropout').length,
  // Nodes no graph output depends on.
  'dead-code': (g) => {
    const needed = new Set(g.outputs.map((o) => o.name));
    let dead = 0;
    for (const n of [...g.nodes].reverse()) {
      if (n.outputs.some((o) => needed.has(o))) n.inputs.forEach((i) => needed.add(i));
      else dead++;
    }
    return dead;
  },
  'fold-batchnorm': (g) => g.nodes.filter((n) => {
    if (n.opType !== 'BatchNormalization') return false;
    const p = g.nodes.find((m) => m.outputs.includes(n.inputs[0]));
    return p !== undefined && ['Conv', 'ConvTranspose', 'Gemm'].includes(p.opType) && readers(g, n.inputs[0]).length === 1;
  }).length,
  'fuse-hardswish': (g) => matchHardSwish(g).length,
  'div-to-mul': (g) => g.nodes.filter((n) => n.opType === 'Div' && isConst(g, n.inputs[1])).length,
  // conv -> per-channel constant Mul/Add/Sub/Div, the Conv output read only there.
  'fold-mul-add-after-conv': (g) => g.nodes.filter((n) => {
    if (!AFFINE.has(n.opType)) return false;
    const [a, b] = n.inputs;
    const convIn = [a, b].find((v) => g.nodes.some((m) => (m.opType === 'Conv' || m.opType === 'ConvTranspose') && m.outputs[0] === v && isConst(g, m.inputs[1])));
    const other = convIn === a ? b : a;
    return convIn !== undefined && perChannelConst(g, other) && readers(g, convIn).length === 1 && !(n.opType === 'Div' && convIn === b);
  }).length,
  // Per-channel constant Mul/Div (or Add/Sub, when every reading Conv pads nothing) read only by
  // Convs as their data input; HardSwish tails excluded.
  'fold-mul-add-before-conv': (g) => {
    const tails = new Set(matchHardSwish(g).map((m) => m.nodes[m.nodes.length - 1]));
    const unpadded = (c: Node) => (!c.has('pads') || c.attrInts('pads').every((p) => p === 0))
      && (!c.has('auto_pad') || ['NOTSET', 'VALID'].includes(c.attrString('auto_pad')));
    return g.nodes.filter((n) => {
      if (!AFFINE.has(n.opType) || tails.has(n)) return false;
      const k = n.inputs.findIndex((v) => perChannelConst(g, v));
      if (k < 0 || isConst(g, n.inputs[1 - k]) || (n.opType === 'Div' && k !== 1)) return false;
      const rs = readers(g, n.outputs[0]);
      const scale = n.opType === 'Mul' || n.opType === 'Div';
      const convs = (v: string, padded: boolean) => readers(g, v).length > 0
        && readers(g, v).every((c) => c.opType === 'Conv' && c.inputs[0] === v && isConst(g, c.inputs[1]) && (padded || unpadded(c)));
      // A scale read only by a constant offset before Convs (padded or not) moves past it and folds.
      const offset = rs.length === 1 && (rs[0].opType === 'Add' || rs[0].opType === 'Sub') && rs[0].inputs.some((v) => perChannelConst(g, v)) ? rs[0] : undefined;
      return convs(n.outputs[0], scale) || (scale && offset !== undefined && !g.outputs.some((o) => o.name === n.outputs[0]) && convs(offset.outputs[0], true));
    }).length;
  },
  // Gather over axis 1 with constant indices, read by a Conv.
  'fold-channel-swap': (g) => g.nodes.filter((n) => (n.opType === 'Gather' && n.has('axis') && n.attrInt('axis') === 1 && isConst(g, n.inputs[1]))
    && readers(g, n.outputs[0]).some((c) => c.opType === 'Conv')).length,
  'cancel-transposes': (g) => g.nodes.filter((n) => n.opType === 'Transpose'
    && g.nodes.some((m) => m.opType === 'Transpose' && m.outputs[0] === n.inputs[0])).length,
  'conv-stride-to-slice': (g) => g.nodes.filter((n) => n.opType === 'Conv' && n.has('strides') && new Set(n.attrInts('strides')).size > 1).length,
};
