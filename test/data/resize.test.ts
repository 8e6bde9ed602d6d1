/** Resize semantics (OpenCV's INTER_LINEAR, INTER_AREA, INTER_NEAREST) on small hand-computed cases. */
import * as fs from 'fs';
import * as path from 'path';
import { readNpy } from '../../lib/data/npy';
import { resizePlanes } from '../../lib/data/resize';

const row = (values: number[], dw: number, method: 'bilinear' | 'area' | 'nearest') =>
  Array.from(resizePlanes(Float64Array.from(values), 1, 1, values.length, 1, dw, method));

describe('resizePlanes', () => {
  test('same size returns the input', () => {
    const src = Float64Array.from([1, 2, 3, 4]);
    expect(resizePlanes(src, 1, 2, 2, 2, 2, 'bilinear')).toBe(src);
  });

  test('bilinear: half-pixel centres, edges clamped, no antialiasing', () => {
    // 2 -> 4: x = (d + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
    expect(row([0, 100], 4, 'bilinear')).toEqual([0, 25, 75, 100]);
    // 4 -> 2: x = 0.5 and 2.5, the means of pixels 0, 1 and of pixels 2, 3.
    expect(row([0, 10, 20, 40], 2, 'bilinear')).toEqual([5, 30]);
    // 8 -> 2 samples at x = 1.5 and 5.5: no antialiasing, the outer pixels do not count.
    expect(row([1000, 0, 8, 0, 1000, 16, 0, 1000], 2, 'bilinear')).toEqual([4, 8]);
  });

  test('nearest: floor(d * scale)', () => {
    expect(row([0, 1, 2, 3, 4], 3, 'nearest')).toEqual([0, 1, 3]);
    expect(row([7, 9], 5, 'nearest')).toEqual([7, 7, 7, 9, 9]);
  });

  test('area shrinking: mean over the covered interval, partial pixels weighted', () => {
    expect(row([1, 3, 5, 7], 2, 'area')).toEqual([2, 6]);
    // 5 -> 2, scale 2.5: [0, 2.5) and [2.5, 5).
    const got = row([10, 20, 30, 40, 50], 2, 'area');
    expect(got[0]).toBeCloseTo((10 + 20 + 0.5 * 30) / 2.5, 12);
    expect(got[1]).toBeCloseTo((0.5 * 30 + 40 + 50) / 2.5, 12);
  });

  test('area enlarging: OpenCV replicates at integer factors and blends at the seams', () => {
    expect(row([0, 100], 4, 'area')).toEqual([0, 0, 100, 100]);
    expect(row([0, 100], 3, 'area')).toEqual([0, 50, 100]);
  });

  test('2-D, several channels: planes are resized independently', () => {
    // 2 planes of 2x2 -> 1x1 by area: the mean of each plane.
    const src = Float64Array.from([1, 2, 3, 4, 10, 20, 30, 40]);
    expect(Array.from(resizePlanes(src, 2, 2, 2, 1, 1, 'area'))).toEqual([2.5, 25]);
    // Rows and columns: 2x2 -> 4x4 bilinear; the corner stays, the centre is the mean.
    const up = resizePlanes(Float64Array.from([0, 40, 80, 120]), 1, 2, 2, 4, 4, 'bilinear');
    expect(up[0]).toBe(0);
    expect(up[15]).toBe(120);
    expect((up[5] + up[6] + up[9] + up[10]) / 4).toBeCloseTo(60, 12);
  });
});

describe('against OpenCV', () => {
  // test/fixtures/data/cv2-resize: cv2.resize (OpenCV 4.6) of random float32 images; see make_cv2_resize.py.
  const dir = path.join(__dirname, '..', 'fixtures', 'data', 'cv2-resize');
  const { cases } = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as { cases: { k: number; src: number[]; dst: number[] }[] };
  const methods = ['bilinear', 'area', 'nearest'] as const;
  test.each(cases.flatMap((c) => methods.map((m) => [`${c.src.join('x')} -> ${c.dst.join('x')} ${m}`, c, m] as const)))('%s', (_, c, m) => {
    const src = readNpy(path.join(dir, `in${c.k}.npy`));
    const want = readNpy(path.join(dir, `out${c.k}_${m}.npy`)).data as Float32Array;
    const got = resizePlanes(Float64Array.from(src.data as Float32Array), 1, c.src[0], c.src[1], c.dst[0], c.dst[1], m);
    expect(got.length).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    // OpenCV computes its coefficients in float32: up to ~1e-5 relative on 0..255.
    expect(worst).toBeLessThan(m === 'nearest' ? 1e-9 : 4e-3);
  });
});
