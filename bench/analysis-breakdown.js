#!/usr/bin/env node
/**
 * Where an accuracy analysis spends its engine time, against one float pass: for each model of
 * bench/analyze.js, the engine's own node time per batch (NPUQ_PROFILE, single thread, so that neither
 * side gains from threads) of a float pass (a default Session: BatchNormalization folded, Relu/Clip
 * fused) and of the analysis graph, split by what its nodes compute (node names from
 * lib/analyze/graph.ts):
 *   float copy         `fl::*`          the float model
 *   cumulative copy    everything else  the quantized model (its integers from the quantized producers)
 *   individual copy    `ind::*`         every layer alone on its quantized float inputs, input quantization included
 *   cumulative probes  `stats::cum::*`  float vs cumulative: sums, both histograms, per-channel max |f|
 *   individual probes  `stats::ind::*`  float vs individual: sums only
 * and the ratios of the analysis to the float pass, with and without the probes. Node time leaves out
 * what happens around the nodes (plan compile, N-API, JS accumulation), which bench/analyze.js
 * includes; it is the steadier measure on a shared machine.
 *
 *   npm run build && node bench/analysis-breakdown.js [--repeat 3] [--target rk3588] [--filter REGEXP]
 *
 * Each model runs in a child process (NPUQ_PROFILE is read when a plan is built, and the engine prints
 * its profile to stderr when a session is disposed). Of --repeat children, the fastest analysis is
 * compared with the fastest float pass (three passes over the data per child).
 */
const { spawnSync } = require('child_process');
const { built } = require('./built');
const { analysisCases, prepareCase } = require('./analysis-cases');

const argOf = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const MARK = '### npuquant-bench ';

/** The child: quantizes one case, then prints a marker before each profiled phase. */
async function child(name, target) {
  const { analyze, Session } = built('index.js');
  const c = analysisCases().find((x) => x.name === name);
  if (!c) throw new Error(`no analysis case named ${JSON.stringify(name)} (bench/analysis-cases.js)`);
  const { qm, feeds } = await prepareCase(c, target, 1);
  process.stderr.write(`${MARK}float\n`);
  const session = await Session.create(qm.model, { threads: 1 });
  for (let r = 0; r < 3; r++) for (const f of feeds) await session.run(f);  // node time averages over the runs
  session.dispose();
  process.stderr.write(`${MARK}analysis\n`);
  await analyze(c.file, qm, { data: feeds, threads: 1 });
  process.stderr.write(`${MARK}end\n`);
  await qm.dispose();
}

/**
 * The profile printed after `phase`'s marker: the section with the most runs of the largest plan
 * (the last, smaller batch has a section of its own), as ms per run by node name and op.
 */
function profileOf(stderr, phase) {
  const from = stderr.indexOf(`${MARK}${phase}\n`);
  if (from < 0) throw new Error(`the child printed no ${phase} phase:\n${stderr.slice(-2000)}`);
  const next = stderr.indexOf(MARK, from + MARK.length);
  const text = stderr.slice(from, next < 0 ? undefined : next);
  const sections = [];
  for (const line of text.split('\n')) {
    const head = /^npuquant profile: (\d+) nodes, (\d+) runs/.exec(line);
    if (head) sections.push({ nodes: Number(head[1]), runs: Number(head[2]), rows: [] });
    const row = /^\s+([\d.]+) ms\s+(\S+) "(.*)"$/.exec(line);
    if (row && sections.length) sections[sections.length - 1].rows.push({ ms: Number(row[1]), op: row[2], name: row[3] });
  }
  if (!sections.length) throw new Error(`no engine profile after the ${phase} marker (is NPUQ_PROFILE honoured?)`);
  return sections.reduce((a, b) => (b.runs > a.runs || (b.runs === a.runs && b.nodes > a.nodes) ? b : a));
}

// The parts of the analysis graph, in the table's order; a node belongs to the first part it matches
// in the order of the prefixes (the cumulative copy keeps the quantized model's own names).
const PARTS = ['float copy', 'cumulative copy', 'individual copy', 'cumulative probes', 'individual probes'];
const partOf = (node) =>
  node.startsWith('fl::') ? 'float copy' : node.startsWith('ind::') ? 'individual copy' :
    node.startsWith('stats::cum::') ? 'cumulative probes' : node.startsWith('stats::ind::') ? 'individual probes' : 'cumulative copy';

function measure(name, target) {
  const r = spawnSync(process.execPath, [__filename, '--child', name, '--target', target], {
    env: { ...process.env, NPUQ_PROFILE: '100000' }, encoding: 'utf8', maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`${name}: the child failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  const float = profileOf(r.stderr, 'float');
  const analysis = profileOf(r.stderr, 'analysis');
  const sum = (rows) => rows.reduce((s, x) => s + x.ms, 0);
  const parts = Object.fromEntries(PARTS.map((k) => [k, 0]));
  for (const row of analysis.rows) parts[partOf(row.name)] += row.ms;
  return { float: sum(float.rows), analysis: sum(analysis.rows), parts };
}

function main() {
  const target = argOf('--target', 'rk3588');
  const repeat = Number(argOf('--repeat', 3));
  const filter = new RegExp(argOf('--filter', '.'));
  console.log(`Engine node time per batch, 1 thread, ms (best of ${repeat})\n`);
  console.log(`| model | float pass | analysis | ${PARTS.join(' | ')} | ratio | ratio without probes |`);
  console.log(`|---|---:|---:|${PARTS.map(() => '---:').join('|')}|---:|---:|`);
  for (const { name } of analysisCases().filter((c) => filter.test(c.name))) {
    // The child with the fastest analysis, against the fastest float pass of all children.
    let best, float = Infinity;
    for (let i = 0; i < repeat; i++) {
      const m = measure(name, target);
      float = Math.min(float, m.float);
      if (!best || m.analysis < best.analysis) best = m;
    }
    best.float = float;
    const probes = best.parts['cumulative probes'] + best.parts['individual probes'];
    const cells = PARTS.map((k) => best.parts[k].toFixed(2));
    console.log(`| ${name} | ${best.float.toFixed(2)} | ${best.analysis.toFixed(2)} | ${cells.join(' | ')} | ${(best.analysis / best.float).toFixed(2)} | ${((best.analysis - probes) / best.float).toFixed(2)} |`);
  }
}

if (process.argv.includes('--child')) {
  child(argOf('--child'), argOf('--target', 'rk3588')).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
} else {
  try {
    main();
  } catch (e) {
    console.error(e.message);
    process.exitCode = 1;
  }
}
