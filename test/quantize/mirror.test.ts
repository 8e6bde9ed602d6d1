/**
 * The TypeScript mirrors of native/include/npuq/rounding.h (roundMode, rshiftRound,
 * quantizeMultiplier) and of TPU-MLIR's get_scale_and_shift / calRightShiftNum against the C++
 * itself: test/quantize/mirror.cc is compiled with the system C++ compiler and fed the same inputs.
 * Skipped when no compiler is installed.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { calRightShiftNum, searchMultiplierShift } from '../../lib/quantize/requant-params';
import { quantizeMultiplier, roundMode, rshiftRound } from '../../lib/quantize/rounding';
import { ROUNDING_MODES } from '../../lib/quantize/profile';

const ROOT = path.resolve(__dirname, '../..');
const CXX = ['g++', 'c++', 'clang++'].find((c) => spawnSync(c, ['--version']).status === 0);

/** A double as a C hex-float literal (exact), e.g. 0x1.8000000000000p-1. */
function hexDouble(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0x0p+0' : '0x0p+0';
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  const hi = v.getUint32(0);
  const lo = v.getUint32(4);
  const sign = hi >>> 31 ? '-' : '';
  const exp = (hi >>> 20) & 0x7ff;
  const mant = ((hi & 0xfffff).toString(16).padStart(5, '0')) + lo.toString(16).padStart(8, '0');
  return exp === 0 ? `${sign}0x0.${mant}p-1022` : `${sign}0x1.${mant}p${exp - 1023}`;
}

/** Deterministic pseudo-random numbers (xorshift32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

const maybe = CXX === undefined ? describe.skip : describe;

maybe('TypeScript mirrors equal the C++ (compiled with the system compiler)', () => {
  let exe = '';
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-mirror-'));
    exe = path.join(dir, 'mirror');
    const r = spawnSync(CXX as string, ['-std=c++17', '-O1', '-I', path.join(ROOT, 'native/include'),
      path.join(__dirname, 'mirror.cc'), '-o', exe], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`compiling mirror.cc failed:\n${r.stderr}`);
  }, 120000);

  function run(lines: string[]): string[] {
    const r = spawnSync(exe, [], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.trim().split('\n');
  }

  test('quantizeMultiplier equals npuq::quantize_multiplier on edge cases and 3000 log-uniform values', () => {
    const next = rng(1234);
    const values = [
      0, 0.5, 1, 0.75, 0.1, 2 ** -31, 2 ** -32, 2 ** -33, 1e-20, 2 ** 31, 3, 1 - 2 ** -40, 1 - 2 ** -32, 1 - 2 ** -31,
      0.9999999999, 0.49999999999, 2 ** 30, 2 ** 30 * 1.9999999999, 5e-324, Number.MIN_VALUE * 2 ** 20,
    ];
    for (let i = 0; i < 3000; i++) values.push(2 ** (next() * 80 - 60) * (1 + next()));
    const out = run(values.map((v) => `qm ${hexDouble(v)}`));
    values.forEach((v, i) => {
      const q = quantizeMultiplier(v);
      expect(`${v} -> ${q.multiplier} ${q.shift}`).toBe(`${v} -> ${out[i]}`);
    });
  });

  test('roundMode equals npuq::round_mode for every mode on ties and random values', () => {
    const next = rng(99);
    const xs = [0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, -3.5, 1e15 + 0.5, -7.25, 7.75];
    for (let i = 0; i < 300; i++) xs.push((next() - 0.5) * 2000);
    for (let i = 0; i < 100; i++) xs.push(Math.round((next() - 0.5) * 2000) / 2);
    const lines: string[] = [];
    const expected: string[] = [];
    for (const x of xs) {
      ROUNDING_MODES.forEach((m, i) => {
        lines.push(`round ${hexDouble(x)} ${i}`);
        expected.push(`${x} ${m} -> ${roundMode(x, m)}`);
      });
    }
    const out = run(lines);
    expect(out.map((o, i) => expected[i].replace(/-> .*/, `-> ${Number(o)}`))).toEqual(expected);
  });

  test('rshiftRound equals npuq::rshift_round for every mode', () => {
    const lines: string[] = [];
    const expected: string[] = [];
    for (let v = -70; v <= 70; v++) {
      for (const shift of [-2, 0, 1, 2, 3, 5]) {
        ROUNDING_MODES.forEach((m, i) => {
          lines.push(`rshift ${v} ${shift} ${i}`);
          expected.push(`${v} ${shift} ${m} -> ${rshiftRound(BigInt(v), shift, m)}`);
        });
      }
    }
    const big = 2n ** 40n + 12345n;
    ROUNDING_MODES.forEach((m, i) => {
      lines.push(`rshift ${-big} 17 ${i}`);
      expected.push(`${-big} 17 ${m} -> ${rshiftRound(-big, 17, m)}`);
    });
    for (const [v, s] of [[big, -30], [-big, -30], [big, -22], [2n ** 50n, -12], [-(2n ** 50n), -12], [3n, -60]] as const) {
      lines.push(`rshift ${v} ${s} 0`);
      expected.push(`${v} ${s} half_away_from_zero -> ${rshiftRound(v, s, 'half_away_from_zero')}`);
    }
    const out = run(lines);
    expect(out.map((o, i) => expected[i].replace(/-> .*/, `-> ${o}`))).toEqual(expected);
  });

  test('searchMultiplierShift and calRightShiftNum equal the TPU-MLIR functions', () => {
    const next = rng(7);
    const scales = [0.5, 0.3, 1, 1.5, 1e-3, 2 ** -20, 0.999999, 123.456, 1e-9];
    for (let i = 0; i < 400; i++) scales.push(2 ** (next() * 30 - 24));
    const lines: string[] = [];
    const expected: string[] = [];
    for (const s of scales) {
      for (const bits of [8, 32]) {
        lines.push(`sas ${hexDouble(s)} ${bits}`);
        const r = searchMultiplierShift(s, bits);
        expected.push(`${s}/${bits} -> ${r.multiplier} ${r.rshift}`);
      }
    }
    for (let i = 0; i < 300; i++) {
      const [f, a, b] = [next() * 4, 2 ** (next() * 10 - 12), 2 ** (next() * 10 - 10)];
      lines.push(`crs ${hexDouble(f)} ${hexDouble(a)} ${hexDouble(b)} 8`);
      expected.push(`crs ${f} ${a} ${b} -> ${calRightShiftNum(f, a, b, 8)}`);
    }
    const out = run(lines);
    expect(out.map((o, i) => expected[i].replace(/-> .*/, `-> ${o}`))).toEqual(expected);
  });
});
