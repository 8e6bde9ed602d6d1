#!/usr/bin/env node
// Smoke test of an installed npuquant package (scripts/test-install.sh runs it inside an empty
// project where "npm i npuquant-<version>.tgz" was run, natively and under qemu-aarch64).
// Prints one line per check and ends with "smoke: N passed, N failed, N skipped"; exit code 1 on a
// failure. It must be copied into that project (require('npuquant') resolves from this file).
// Env:
//   NPUQ_EXPECT_ISA=neon,neondot    capabilities().isa must be one of these
//   NPUQ_EXPECT_ARCH=arm64          capabilities().arch must be this
//   NPUQ_EXPECT_PREBUILT=1          the package must run its prebuilt binary (no build/ folder)
'use strict';
const fs = require('fs');
const path = require('path');

const results = [];
class Skip {
  constructor(why) {
    this.why = why;
  }
}
async function check(name, fn) {
  try {
    const detail = await fn();
    if (detail instanceof Skip) {
      results.push('skip');
      console.log(`ok - ${name} # SKIP ${detail.why}`);
      return;
    }
    results.push('pass');
    console.log(`ok - ${name}${detail ? `: ${detail}` : ''}`);
  } catch (e) {
    results.push('fail');
    console.log(`not ok - ${name}: ${e && e.stack ? e.stack : e}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

function argmaxRows(data, rows, cols) {
  const out = [];
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let k = 1; k < cols; k++) if (data[i * cols + k] > data[i * cols + best]) best = k;
    out.push(best);
  }
  return out;
}

/**
 * Quantization of the bundled model through the installed package: quantize() for onnxruntime-rr with
 * the 8 bundled samples as calibration data, the emulated int8 model must still predict the labels,
 * saveQuantized() must write its folder, and analyze() must compare every layer and write the reports.
 */
async function quantizeAndAnalyze(npuquant, example, x, expected) {
  const data = path.join(example, 'digits_8.npy');
  const qm = await npuquant.quantize(path.join(example, 'digits_cnn.onnx'), { target: 'onnxruntime-rr', data });
  try {
    const { logits } = await qm.run({ input: x });
    const pred = argmaxRows(logits.data, 8, 10);
    assert(pred.join() === expected.join(), `the int8 model predicted ${pred.join(',')}`);
    const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'npuq-smoke-'));
    const files = await npuquant.saveQuantized(qm, dir);
    assert(files.every((f) => fs.existsSync(f)), `saveQuantized wrote ${files.join(', ')}`);
    const a = await npuquant.analyze(path.join(example, 'digits_cnn.onnx'), qm, { data });
    assert(a.samples === 8 && a.layers.length > 0, `analyze() compared ${a.layers.length} layers on ${a.samples} samples`);
    assert(a.outputs[0].cosine > 0.99 && a.outputs[0].top1_agreement === 1, `analyze(): output cosine ${a.outputs[0].cosine}, top-1 agreement ${a.outputs[0].top1_agreement}`);
    const reports = npuquant.writeReports(a, path.join(dir, 'report'));
    assert(reports.length === 5 && reports.every((f) => fs.existsSync(f)), `writeReports wrote ${reports.join(', ')}`);
    return `int8 predicts ${pred.join(',')}; wrote ${files.map((f) => path.basename(f)).join(', ')}; analysed ${a.layers.length} layers (output cosine ${a.outputs[0].cosine.toFixed(5)})`;
  } finally {
    await qm.dispose();
  }
}

async function main() {
  let npuquant;
  await check('require("npuquant")', () => {
    npuquant = require('npuquant');
    return `from ${path.dirname(require.resolve('npuquant/package.json'))}`;
  });
  if (!npuquant) return;
  const pkgRoot = path.dirname(require.resolve('npuquant/package.json'));
  const example = path.join(pkgRoot, 'examples', 'digits');

  if (process.env.NPUQ_EXPECT_PREBUILT === '1') {
    await check('runs the prebuilt binary (nothing was compiled at install)', () => {
      const prebuilt = path.join(pkgRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'npuquant.node');
      assert(fs.existsSync(prebuilt), `${prebuilt} is missing`);
      assert(!fs.existsSync(path.join(pkgRoot, 'build')), `${path.join(pkgRoot, 'build')} exists: the install compiled the addon`);
      return path.relative(pkgRoot, prebuilt);
    });
  }

  let caps;
  await check('capabilities()', () => {
    caps = npuquant.capabilities();
    assert(typeof caps.isa === 'string' && Array.isArray(caps.isas) && caps.isas.includes(caps.isa), `unexpected ${JSON.stringify(caps)}`);
    return `arch ${caps.arch}, isa ${caps.isa}, isas ${caps.isas.join(',')}, Node ${process.version}`;
  });
  if (process.env.NPUQ_EXPECT_ARCH) {
    await check(`arch is ${process.env.NPUQ_EXPECT_ARCH}`, () => {
      assert(caps && caps.arch === process.env.NPUQ_EXPECT_ARCH, `capabilities().arch is ${caps && caps.arch}`);
    });
  }
  if (process.env.NPUQ_EXPECT_ISA) {
    const want = process.env.NPUQ_EXPECT_ISA.split(',');
    await check(`default isa is one of ${want.join(', ')}`, () => {
      assert(caps && want.includes(caps.isa), `capabilities().isa is ${caps && caps.isa}`);
      return caps.isa;
    });
  }

  let model, x;
  await check('loadModel + readNpy of the bundled digits example', async () => {
    model = await npuquant.loadModel(path.join(example, 'digits_cnn.onnx'));
    x = npuquant.readNpy(path.join(example, 'digits_8.npy'));
    return `${model.graph.nodes.length} nodes, input ${x.shape.join('x')}`;
  });
  const expected = [6, 5, 2, 2, 0, 8, 1, 1];
  for (const maxIsa of [undefined, 'scalar']) {
    await check(`Session.run predicts ${expected.join(',')}${maxIsa ? ` (maxIsa ${maxIsa})` : ''}`, async () => {
      const s = await npuquant.Session.create(model, { threads: 2, maxIsa });
      try {
        const { logits } = await s.run({ input: x });
        assert(logits.shape.join() === '8,10', `logits shape ${logits.shape}`);
        const pred = argmaxRows(logits.data, 8, 10);
        assert(pred.join() === expected.join(), `predicted ${pred.join(',')}`);
        return pred.join(',');
      } finally {
        s.dispose();
      }
    });
  }
  await check('quantize the bundled model', () => quantizeAndAnalyze(npuquant, example, x, expected));
}

main().then(() => {
  const n = (k) => results.filter((r) => r === k).length;
  console.log(`smoke: ${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped`);
  process.exitCode = n('fail') || n('pass') === 0 ? 1 : 0;
});
