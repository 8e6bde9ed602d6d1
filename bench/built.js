/**
 * The built package for the benchmark scripts: `built('index.js')` requires dist/index.js (or another
 * module of dist/), and exits with a message naming the build command when dist/ is missing or stale.
 */
const path = require('path');

const root = path.join(__dirname, '..');

function built(rel) {
  try {
    return require(path.join(root, 'dist', rel));
  } catch (e) {
    console.error(`npuquant is not built (${e.message}); run npm run build first`);
    process.exit(1);
  }
}

module.exports = { root, built };
