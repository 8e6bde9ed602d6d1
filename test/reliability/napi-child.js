#!/usr/bin/env node
// The N-API surface called wrongly, run in a child process by napi.reliability.ts so an abort or a
// segfault is caught. Uses the addon file NPUQ_ADDON (default build/Release/npuquant.node) and
// dist/ to compile valid plans ("npx tsc -p tsconfig.json" first).
//
//   node test/reliability/napi-child.js SEED COUNT [PROGRESS_FILE] [--only INDEX]
//
// 1. Fixed misuse: wrong types, wrong lengths, detached and shared buffers, out-of-range numbers,
//    bad options, use after dispose, dispose during runs. Each call must throw or reject with an
//    error carrying a string `code` (or run correctly where the input is valid after all).
// 2. COUNT random plan mutations (dtypes, shapes, constant data lengths, arena offsets, tensor ids,
//    op names, attribute values and lengths, arena size) of valid plans of the digits model and of
//    the fuzzer's seed models; each is constructed (new NativeSession, or NativeSession.create from
//    the encoded plan, whose numbers are then sometimes damaged as well) and, when accepted, run
//    once on zero inputs.
// Prints "ok - ..." / "not ok - ..." lines and one JSON summary line last.
'use strict';
const fs = require('fs');
const path = require('path');
const { rng, int, pick } = require('./mutate');
const { zoo } = require('./zoo');

const ROOT = path.join(__dirname, '..', '..');
const addonFile = path.resolve(process.env.NPUQ_ADDON || path.join(ROOT, 'build', 'Release', 'npuquant.node'));
const addon = require(addonFile);
const nq = require(path.join(ROOT, 'dist', 'index.js'));
const { compilePlan } = require(path.join(ROOT, 'dist', 'runtime', 'lower.js'));
const { encodePlan } = require(path.join(ROOT, 'dist', 'runtime', 'encode-plan.js'));
const { NativeSession } = addon;

const results = { passed: 0, failed: 0 };
function report(ok, name, detail) {
  if (ok) results.passed++;
  else results.failed++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${detail ? `: ${detail}` : ''}`);
}
const coded = (e) => e instanceof Error && typeof e.code === 'string' && e.code.length > 0;
const describe = (e) => (e instanceof Error ? `${e.name} ${e.code || '(no code)'}: ${e.message}` : `non-error ${String(e)}`);

/** f must throw synchronously or return a promise that rejects, with a coded error. */
async function mustFail(name, f) {
  let r;
  try {
    r = f();
  } catch (e) {
    report(coded(e), name, coded(e) ? undefined : describe(e));
    return;
  }
  try {
    await r;
    report(false, name, 'did not fail');
  } catch (e) {
    report(coded(e), name, coded(e) ? undefined : describe(e));
  }
}

/** f may succeed or fail with a coded error; it must not crash. */
async function mayFail(name, f) {
  try {
    await f();
    report(true, name, 'accepted');
  } catch (e) {
    report(coded(e), name, coded(e) ? undefined : describe(e));
  }
}

/** A Float32Array whose buffer has been transferred away (detached). */
function detached(n = 16) {
  const v = new Float32Array(n);
  structuredClone(v.buffer, { transfer: [v.buffer] });
  return v;
}

function planOf(bytes, shapes) {
  const m = nq.loadModelSync(bytes);
  return compilePlan(m.graph, {
    inputShapes: new Map(Object.entries(shapes)), inputValues: new Map(), outputs: m.graph.outputs.map((o) => o.name),
    fuse: true, engineOps: new Set(addon.capabilities().ops),
  }).plan;
}

function clonePlan(p) {
  return {
    tensors: p.tensors.map((t) => ({ ...t, shape: t.shape.slice(), data: t.data ? new Uint8Array(t.data) : undefined })),
    nodes: p.nodes.map((n) => ({ ...n, inputs: n.inputs.slice(), outputs: n.outputs.slice(), attrs: structuredClone(n.attrs) })),
    inputs: p.inputs.slice(), outputs: p.outputs.slice(), arenaBytes: p.arenaBytes,
  };
}

function inputsFor(plan) {
  return plan.inputs.map((id) => {
    const t = plan.tensors[id];
    const n = t.shape.reduce((a, b) => a * b, 1);
    const es = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 }[t.dtype] || 1;
    return new Uint8Array(Math.min(n * es, 1 << 26));
  });
}

/** Plans that once crashed the engine (found by the plan fuzzer), rebuilt explicitly. */
async function planRegressions(byName) {
  const edit = (name, op, f) => {
    const p = clonePlan(byName[name]);
    const n = p.nodes.find((x) => x.op === op);
    if (!n) throw Object.assign(new Error(`no ${op} node in the ${name} plan`), { code: 'TEST_SETUP' });
    f(p, n);
    return p;
  };
  await mustFail('Transpose whose output has another rank (read past the output dims)', () => new NativeSession(edit('movement', 'Transpose', (p, n) => {
    const t = p.tensors[n.outputs[0]];
    t.shape = [t.shape.reduce((a, b) => a * b, 1)];
  })));
  await mustFail('QLinearConv whose kernel does not match the weights (read past the weights)', () => new NativeSession(edit('quantized', 'QLinearConv', (p, n) => {
    n.attrs.kernel = [1048576, 2];
  })));
  await mustFail('LayerNormalization with a float16 output (wrote past the output)', () => new NativeSession(edit('gather-runtime-indices', 'LayerNormalization', (p, n) => {
    p.tensors[n.outputs[0]].dtype = 10;
  })));
}

async function fixedCases(plan) {
  const good = () => clonePlan(plan);
  const withTensor = (f) => { const p = good(); f(p.tensors); return p; };
  const withNode = (f) => { const p = good(); f(p.nodes); return p; };
  const inBytes = inputsFor(plan)[0].length;

  await mustFail('NativeSession() with no plan', () => new NativeSession());
  for (const v of [null, 5, 'plan', [], true]) await mustFail(`NativeSession(${JSON.stringify(v)})`, () => new NativeSession(v));
  await mustFail('plan.tensors is not an array', () => new NativeSession({ ...good(), tensors: 5 }));
  await mustFail('plan.tensors[0] is null', () => new NativeSession(withTensor((t) => { t[0] = null; })));
  for (const d of ['1', -1, 1.5, NaN, Infinity, 999, 8, 0]) {
    await mustFail(`dtype ${String(d)}`, () => new NativeSession(withTensor((t) => { t[1].dtype = d; })));
  }
  for (const s of [5, [-1], [NaN], [1e20], ['3'], [2 ** 40, 2 ** 40], [2 ** 53]]) {
    await mustFail(`shape ${JSON.stringify(s)}`, () => new NativeSession(withTensor((t) => { t[1].shape = s; })));
  }
  await mustFail('constant data is a plain object', () => new NativeSession(withTensor((t) => { t[1].data = {}; })));
  await mustFail('constant data is a detached buffer', () => new NativeSession(withTensor((t) => { t[1].data = detached(); })));
  await mustFail('constant data is too short', () => new NativeSession(withTensor((t) => { t[1].data = t[1].data.subarray(4); })));
  await mustFail('constant data is too long', () => new NativeSession(withTensor((t) => { t[1].data = new Uint8Array(t[1].data.length + 4); })));
  for (const o of [-64, 1, NaN, 2 ** 50, '0']) {
    await mustFail(`arena offset ${String(o)}`, () => new NativeSession(withTensor((t) => { t[0].offset = o; })));
  }
  await mustFail('plan.nodes is not an array', () => new NativeSession({ ...good(), nodes: {} }));
  await mustFail('node op is a number', () => new NativeSession(withNode((n) => { n[0].op = 5; })));
  await mustFail('node op is unknown', () => new NativeSession(withNode((n) => { n[0].op = 'NoSuchOp'; })));
  for (const id of [-2, 1e9, 2 ** 31, 1.5, '0']) {
    await mustFail(`node input id ${String(id)}`, () => new NativeSession(withNode((n) => { n[0].inputs[0] = id; })));
  }
  await mustFail('node output id -1', () => new NativeSession(withNode((n) => { n[0].outputs[0] = -1; })));
  await mustFail('node writes a constant', () => new NativeSession(withNode((n) => { n[0].outputs[0] = 1; })));
  for (const v of [{}, null, [[1]], ['a'], 10n]) {
    await mustFail(`attribute value ${typeof v === 'bigint' ? '10n' : JSON.stringify(v)}`, () => new NativeSession(withNode((n) => { n[0].attrs.kernel = v; })));
  }
  for (const v of [[0, 0], [-1, 3], [3], [], [1e9, 1e9]]) {
    await mayFail(`Conv kernel ${JSON.stringify(v)}`, () => new NativeSession(withNode((n) => { n[0].attrs.kernel = v; })));
  }
  for (const a of [-1, NaN, 2 ** 50, 0, 64]) {
    await mustFail(`arenaBytes ${a}`, () => new NativeSession({ ...good(), arenaBytes: a }));
  }
  await mustFail('plan input is a constant', () => new NativeSession({ ...good(), inputs: [1] }));
  await mustFail('plan output is never written', () => { const p = good(); p.nodes.pop(); return new NativeSession(p); });
  for (const o of [5, { threads: 0 }, { threads: -1 }, { threads: 257 }, { threads: 1.5 }, { threads: NaN }, { threads: '2' },
    { maxIsa: 5 }, { maxIsa: 'bogus' }, { maxIsa: 'avx512' }]) {
    const bad = typeof o === 'object' ? o : undefined;
    if (bad) await mustFail(`options ${JSON.stringify(o, (k, v) => (Number.isNaN(v) ? 'NaN' : v))}`, () => new NativeSession(good(), o));
  }
  await mayFail('options is a number (ignored)', () => new NativeSession(good(), 5));
  const foreign = addon.capabilities().arch === 'x64' ? 'neon' : 'avx2';
  await mustFail(`maxIsa ${foreign} on this CPU`, () => new NativeSession(good(), { maxIsa: foreign }));

  const s = new NativeSession(good(), { threads: 2 });
  await mustFail('run() with no arguments', () => s.run());
  for (const v of [5, 'x', {}, null]) await mustFail(`run(${JSON.stringify(v)})`, () => s.run(v));
  await mustFail('run([]) (too few inputs)', () => s.run([]));
  await mustFail('run([a, b]) (too many inputs)', () => s.run([new Uint8Array(inBytes), new Uint8Array(inBytes)]));
  for (const v of [5, 'x', {}, null, [1, 2, 3]]) await mustFail(`run([${JSON.stringify(v)}])`, () => s.run([v]));
  await mustFail('run with a short input', () => s.run([new Float32Array(inBytes / 4 - 1)]));
  await mustFail('run with a long input', () => s.run([new Float32Array(inBytes / 4 + 1)]));
  await mustFail('run with a detached input', () => s.run([detached(inBytes / 4)]));
  await mustFail('run with a BigInt64Array of another length', () => s.run([new BigInt64Array(3)]));
  await mustFail('run with an array whose element getter throws', () => {
    const a = [new Uint8Array(inBytes)];
    Object.defineProperty(a, 0, { get() { throw Object.assign(new Error('getter'), { code: 'GETTER' }); } });
    return s.run(a);
  });
  await mayFail('run with a DataView of the right size', () => s.run([new DataView(new ArrayBuffer(inBytes))]));
  await mayFail('run with a view on a SharedArrayBuffer', () => s.run([new Float32Array(new SharedArrayBuffer(inBytes))]));
  await mayFail('run, then detach the input while the run is in flight', () => {
    const x = new Float32Array(inBytes / 4);
    const p = s.run([x]);
    structuredClone(x.buffer, { transfer: [x.buffer] });
    return p;
  });
  await mayFail('50 runs in flight, then dispose', async () => {
    const runs = Array.from({ length: 50 }, () => s.run([new Uint8Array(inBytes)]));
    s.dispose();
    const settled = await Promise.allSettled(runs);
    const bad = settled.filter((r) => r.status === 'rejected' && !coded(r.reason));
    if (bad.length) throw new Error(`uncoded rejection: ${describe(bad[0].reason)}`);
  });
  await mustFail('run after dispose', () => s.run([new Uint8Array(inBytes)]));
  await mayFail('dispose twice', () => s.dispose());
  report(s.isa === 'disposed', 'isa after dispose is "disposed"', s.isa);
  await mayFail('capabilities(1, 2, 3)', () => addon.capabilities(1, 2, 3));

  // NativeSession.create: the same misuse of the encoded plan; a dispose before the build ends.
  const enc = () => encodePlan(good());
  await mustFail('NativeSession.create() with no plan', () => NativeSession.create());
  for (const v of [null, 5, 'plan', [], true]) await mustFail(`NativeSession.create(${JSON.stringify(v)})`, () => NativeSession.create(v));
  await mustFail('encoded meta is a plain array', () => NativeSession.create({ ...enc(), meta: Array.from(enc().meta) }));
  await mustFail('encoded meta is detached', () => {
    const m = new Float64Array(4);
    structuredClone(m.buffer, { transfer: [m.buffer] });
    return NativeSession.create({ ...enc(), meta: m });
  });
  await mustFail('encoded text is a Float32Array', () => NativeSession.create({ ...enc(), text: new Float32Array(4) }));
  await mustFail('encoded data is not an array', () => NativeSession.create({ ...enc(), data: 5 }));
  await mustFail('encoded constant data is detached', () => NativeSession.create({ ...enc(), data: [detached(), ...enc().data.slice(1)] }));
  await mustFail('encoded meta is empty', () => NativeSession.create({ ...enc(), meta: new Float64Array(0) }));
  await mustFail('encoded text is empty', () => NativeSession.create({ ...enc(), text: new Uint8Array(0) }));
  await mustFail('encoded constant data missing', () => NativeSession.create({ ...enc(), data: [] }));
  await mustFail('NativeSession.create with threads 0', () => NativeSession.create(enc(), { threads: 0 }));
  await mustFail('NativeSession.create with maxIsa "fast"', () => NativeSession.create(enc(), { maxIsa: 'fast' }));
  const shared = enc();
  const sharedMeta = new Float64Array(new SharedArrayBuffer(shared.meta.byteLength));
  sharedMeta.set(shared.meta);
  shared.meta = sharedMeta;
  await mayFail('encoded meta in a SharedArrayBuffer', async () => (await NativeSession.create(shared, { threads: 1 })).dispose());
  await mayFail('a build in flight while its plan buffers are reused', async () => {
    const e = enc();
    const p = NativeSession.create(e, { threads: 1 });
    e.meta.fill(NaN);
    e.text.fill(0);
    for (const d of e.data) new Uint8Array(d.buffer, d.byteOffset, d.byteLength).fill(255);
    const built = await p;
    await built.run(inputsFor(plan));
    built.dispose();
  });
}

/** One random change to a plan; returns its description. */
function mutatePlan(p, r, ops) {
  const t = pick(r, p.tensors);
  const n = pick(r, p.nodes);
  const BAD = [0, 1, 2, 3, -1, 7, 64, 1000, 2 ** 20, 2 ** 31, 2 ** 40];
  switch (int(r, 12)) {
    case 0: t.dtype = pick(r, [1, 2, 3, 5, 6, 7, 9, 10, 11, 16]); return `tensor dtype -> ${t.dtype}`;
    case 1: if (t.shape.length) t.shape[int(r, t.shape.length)] = pick(r, BAD); return `tensor shape -> [${t.shape}]`;
    case 2: if (int(r, 2)) t.shape.push(pick(r, [0, 1, 2, 3])); else t.shape.pop(); return `tensor rank -> ${t.shape.length}`;
    case 3: if (t.data) t.data = t.data.subarray(0, int(r, t.data.length + 1)); return 'constant data cut';
    case 4: if (!t.data) t.offset = pick(r, [0, 64, 128, 4096, p.arenaBytes - 64, p.arenaBytes]); return `offset -> ${t.offset}`;
    case 5: n.op = pick(r, ops); return `node op -> ${n.op}`;
    case 6: if (n.inputs.length) n.inputs[int(r, n.inputs.length)] = int(r, p.tensors.length + 1) - 1; return `node inputs -> ${n.inputs}`;
    case 7: if (int(r, 2)) n.inputs.push(int(r, p.tensors.length)); else n.inputs.pop(); return `node arity -> ${n.inputs.length}`;
    case 8: {
      const keys = Object.keys(n.attrs);
      const k = keys.length && int(r, 3) ? pick(r, keys) : pick(r, ['kernel', 'strides', 'pads', 'dilations', 'group', 'axis', 'perm', 'mode', 'alpha', 'shift']);
      const v = n.attrs[k];
      if (Array.isArray(v) && v.length && int(r, 2)) v[int(r, v.length)] = pick(r, [...BAD, -2, 0.5, NaN]);
      else n.attrs[k] = int(r, 2) ? pick(r, [...BAD, -2, NaN]) : Array.from({ length: int(r, 6) }, () => pick(r, BAD));
      return `attr ${k} -> ${JSON.stringify(n.attrs[k])}`;
    }
    case 9: p.arenaBytes = pick(r, [0, 64, p.arenaBytes - 64, p.arenaBytes * 2]); return `arenaBytes -> ${p.arenaBytes}`;
    case 10: n.outputs[0] = int(r, p.tensors.length); return `node output -> ${n.outputs[0]}`;
    default: {
      const i = int(r, p.nodes.length), j = int(r, p.nodes.length);
      [p.nodes[i], p.nodes[j]] = [p.nodes[j], p.nodes[i]];
      return `nodes ${i} and ${j} swapped`;
    }
  }
}

/** One to three random changes to the numbers of an encoded plan; returns their description. */
function mutateEncoded(e, r) {
  const what = [];
  for (let k = 1 + int(r, 3); k > 0; k--) {
    if (int(r, 8) === 0) {
      const n = int(r, e.meta.length);
      e.meta = e.meta.slice(0, n);
      what.push(`meta cut to ${n}`);
    } else if (e.meta.length) {
      const at = int(r, e.meta.length);
      e.meta[at] = pick(r, [0, 1, 2, 3, -1, -2, 7, 64, 1000, 2 ** 20, 2 ** 31, 2 ** 40, 2 ** 53, 0.5, NaN, Infinity, 1e300, e.text.length, e.data.length]);
      what.push(`meta[${at}] -> ${e.meta[at]}`);
    }
  }
  return what.join(', ');
}

async function planFuzz(plans, seed, count, progress, only) {
  const ops = addon.capabilities().ops;
  const summary = { cases: 0, constructed: 0, ran: 0, errors: {}, failures: [], failureCount: 0 };
  for (let i = only ?? 0; i <= (only ?? count - 1); i++) {
    if (progress !== undefined) fs.writeSync(progress, `${i}`.padEnd(12), 0);
    const r = rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
    const base = pick(r, plans);
    const p = clonePlan(base.plan);
    const what = [base.name];
    for (let k = 1 + int(r, 3); k > 0; k--) what.push(mutatePlan(p, r, ops));
    // Every third case through the constructor, the others through NativeSession.create (built on a
    // worker thread) from the encoded plan, half of those with the encoding itself damaged too.
    const how = i % 3;
    let encoded;
    if (how > 0) {
      encoded = encodePlan(p);
      what.push('NativeSession.create');
      if (how === 2) what.push(mutateEncoded(encoded, r));
    }
    if (only !== undefined) console.log(`plan case ${i}: ${what.join('; ')}`);
    try {
      const threads = 1 + int(r, 2);
      const s = encoded ? await NativeSession.create(encoded, { threads }) : new NativeSession(p, { threads });
      summary.constructed++;
      try {
        await s.run(inputsFor(p));
        summary.ran++;
      } finally {
        s.dispose();
      }
    } catch (e) {
      if (coded(e)) summary.errors[e.code] = (summary.errors[e.code] || 0) + 1;
      else {
        summary.failureCount++;
        if (summary.failures.length < 20) summary.failures.push({ index: i, what: what.join('; '), error: describe(e) });
      }
    }
    summary.cases++;
  }
  return summary;
}

async function main() {
  const args = process.argv.slice(2);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? Number(args.splice(onlyAt, 2)[1]) : undefined;
  const [seedArg, countArg, progressFile] = args;
  const seed = Number(seedArg) || 1;
  const count = Number(countArg) || 100;
  const progress = progressFile ? fs.openSync(progressFile, 'w') : undefined;
  const z = zoo();
  const shapes = (m) => Object.fromEntries(m.feeds.map((f) => [f.name, f.shape]));
  const plans = z.map((m) => ({ name: m.name, plan: planOf(m.bytes, shapes(m)) }));
  if (only === undefined) {
    await fixedCases(plans[0].plan);
    await planRegressions(Object.fromEntries(plans.map((p) => [p.name, p.plan])));
  }
  const fuzz = await planFuzz(plans, seed, count, progress, only);
  report(fuzz.failureCount === 0, `${fuzz.cases} mutated plans: ${fuzz.constructed} constructed, ${fuzz.ran} ran, errors ${JSON.stringify(fuzz.errors)}`,
    fuzz.failureCount ? `${fuzz.failureCount} ended without an error code, e.g. ${JSON.stringify(fuzz.failures.slice(0, 3))}` : undefined);
  console.log(JSON.stringify({ addon: addonFile, ...results, fuzz }));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
