/**
 * Image datasets: decoding through sharp, colour formats, resize methods, mean/std, layouts and
 * dtypes checked against independent computations; streaming; image error cases.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { NpuqError } from '../../lib/errors';
import { ValueInfo } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { readNpy } from '../../lib/data/npy';
import { Dataset, openDataset } from '../../lib/data/dataset';

/** Counts the images sharp is asked to open (the dataset loads sharp with require('sharp')). */
const mockSharpCalls = { count: 0 };
jest.mock('sharp', () => {
  const real = jest.requireActual('sharp');
  const counted = (...args: unknown[]) => {
    mockSharpCalls.count++;
    return real(...args);
  };
  return Object.assign(counted, real);
});

const FIX = path.join(__dirname, '..', 'fixtures');
const COFFEE = path.join(FIX, 'images', 'skimage_coffee.jpg');
const ASTRONAUT = path.join(FIX, 'images', 'skimage_astronaut.jpg');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-images-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function fails(p: Promise<unknown>): Promise<NpuqError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof NpuqError) return err;
    throw err;
  }
  throw new Error('Expected an NpuqError but the promise resolved');
}

async function firstBatch(ds: Dataset, batchSize: number): Promise<Record<string, Tensor>> {
  for await (const b of ds.batches(batchSize)) return b;
  throw new Error('no batch');
}

/** Decodes with sharp directly: interleaved RGB uint8. */
async function rgbPixels(file: string): Promise<{ px: Buffer; w: number; h: number }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return { px: data, w: info.width, h: info.height };
}

/** cv2.INTER_LINEAR of one channel, written directly in 2D. */
function bilinearAt(get: (y: number, x: number) => number, sh: number, sw: number, dh: number, dw: number, y: number, x: number): number {
  const src = (d: number, s: number, n: number) => {
    let v = Math.max((d + 0.5) * (s / n) - 0.5, 0);
    let i = Math.floor(v);
    if (i >= s - 1) {
      i = s - 1;
      v = i;
    }
    return [i, Math.min(i + 1, s - 1), v - i];
  };
  const [y0, y1, fy] = src(y, sh, dh);
  const [x0, x1, fx] = src(x, sw, dw);
  return (1 - fy) * ((1 - fx) * get(y0, x0) + fx * get(y0, x1)) + fy * ((1 - fx) * get(y1, x0) + fx * get(y1, x1));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('digits PNGs against the reference arrays', () => {
  const dir = path.join(tmp, 'digits');
  const N = 40;
  const x = readNpy(path.join(FIX, 'digits', 'x.npy'));
  const x32 = readNpy(path.join(FIX, 'digits', 'x32.npy'));
  beforeAll(async () => {
    // x.npy is png / 255 exactly (test/fixtures/README.md), so the PNGs can be rebuilt from it.
    fs.mkdirSync(dir);
    for (let i = 0; i < N; i++) {
      const px = Buffer.from(Array.from((x.data as Float32Array).subarray(i * 400, (i + 1) * 400), (v) => Math.round(v * 255)));
      await sharp(px, { raw: { width: 20, height: 20, channels: 1 } }).png().toFile(path.join(dir, `${String(i).padStart(3, '0')}.png`));
    }
  });

  test('at their own size: pixel / 255 equals x.npy bit for bit', async () => {
    const ds = await openDataset(dir, [{ name: 'input', dtype: 'float32', shape: ['N', 1, 20, 20] }], { inputConfig: { std: 255 } });
    expect(ds.describe()).toBe(`40 images from ${dir} (GRAY, 20x20, NCHW float32)`);
    const b = await firstBatch(ds, N);
    expect(b.input.shape).toEqual([N, 1, 20, 20]);
    expect(Buffer.from((b.input.data as Float32Array).buffer).equals(Buffer.from((x.data as Float32Array).buffer, 0, N * 400 * 4))).toBe(true);
  });

  test('bilinear 20 -> 32 equals torch interpolate (x32.npy) within float32 rounding', async () => {
    const ds = await openDataset(dir, [{ name: 'input', dtype: 'float32', shape: ['N', 1, 32, 32] }], { inputConfig: { std: 255, resize: 'bilinear' } });
    let i = 0;
    let worst = 0;
    for await (const b of ds.batches(16)) {
      const d = b.input.data as Float32Array;
      worst = Math.max(worst, maxAbsDiff(d, (x32.data as Float32Array).subarray(i * 1024, i * 1024 + d.length)));
      i += b.input.shape[0];
    }
    expect(i).toBe(N);
    expect(worst).toBeLessThan(3e-7);
  });
});

describe('colour photos', () => {
  test('BGR, mean/std, NHWC, bilinear with non-integer scales, against a direct computation', async () => {
    const mean = [103.53, 116.28, 123.675];
    const std = [57.375, 57.12, 58.395];
    const [H, W] = [48, 64];
    const ds = await openDataset(COFFEE, [{ name: 'img', dtype: 'float32', shape: [1, H, W, 3] }], { inputConfig: { colorFormat: 'BGR', mean, std, layout: 'NHWC' } });
    expect(ds.describe()).toBe(`1 image from ${COFFEE} (BGR, 48x64, NHWC float32)`);
    const got = (await firstBatch(ds, 1)).img;
    expect(got.shape).toEqual([1, H, W, 3]);
    const { px, w, h } = await rgbPixels(COFFEE);
    const want = new Float64Array(H * W * 3);
    for (let y = 0; y < H; y++) {
      for (let xx = 0; xx < W; xx++) {
        for (let c = 0; c < 3; c++) {
          const rgb = 2 - c; // BGR
          const v = bilinearAt((sy, sx) => px[(sy * w + sx) * 3 + rgb], h, w, H, W, y, xx);
          want[(y * W + xx) * 3 + c] = (v - mean[c]) / std[c];
        }
      }
    }
    expect(maxAbsDiff(got.data as Float32Array, want)).toBeLessThan(1e-5);
  });

  test('GRAY with area resize by 4 is the block mean of the BT.601 luma', async () => {
    const ds = await openDataset(ASTRONAUT, [{ name: 'g', dtype: 'float32', shape: ['N', 1, 64, 64] }], { inputConfig: { resize: 'area' } });
    const got = (await firstBatch(ds, 1)).g.data as Float32Array;
    const { px, w } = await rgbPixels(ASTRONAUT);
    const luma = (i: number) => 0.299 * px[3 * i] + 0.587 * px[3 * i + 1] + 0.114 * px[3 * i + 2];
    const want = new Float64Array(64 * 64);
    for (let y = 0; y < 64; y++) {
      for (let xx = 0; xx < 64; xx++) {
        let s = 0;
        for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) s += luma((4 * y + dy) * w + 4 * xx + dx);
        want[y * 64 + xx] = s / 16;
      }
    }
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
  });

  test('nearest takes source pixel floor(d * scale); RGB NCHW', async () => {
    const ds = await openDataset(COFFEE, [{ name: 'img', dtype: 'float32', shape: ['N', 3, 50, 70] }], { inputConfig: { resize: 'nearest' } });
    const got = (await firstBatch(ds, 1)).img.data as Float32Array;
    const { px, w, h } = await rgbPixels(COFFEE);
    const want = new Float64Array(3 * 50 * 70);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 50; y++) {
        for (let xx = 0; xx < 70; xx++) {
          const sy = Math.floor((y * h) / 50);
          const sx = Math.floor((xx * w) / 70);
          want[(c * 50 + y) * 70 + xx] = px[(sy * w + sx) * 3 + c];
        }
      }
    }
    expect(maxAbsDiff(got, want)).toBe(0);
  });

  test('uint8 and int8 inputs: rounded and saturated', async () => {
    const { px, w, h } = await rgbPixels(COFFEE);
    const u8 = await openDataset(COFFEE, [{ name: 'img', dtype: 'uint8', shape: ['N', h, w, 3] }], { inputConfig: { layout: 'NHWC' } });
    const gu = (await firstBatch(u8, 1)).img;
    expect(gu.dtype).toBe('uint8');
    expect(Buffer.from(gu.data as Uint8Array).equals(px)).toBe(true);
    const i8 = await openDataset(COFFEE, [{ name: 'img', dtype: 'int8', shape: ['N', h, w, 3] }], { inputConfig: { layout: 'NHWC', mean: 128, std: 0.5 } });
    const gi = (await firstBatch(i8, 1)).img.data as Int8Array;
    for (const i of [0, 1, 2, 1000, 20000, px.length - 1]) expect(gi[i]).toBe(Math.max(-128, Math.min(127, (px[i] - 128) * 2)));
  });

  test('EXIF orientation is applied', async () => {
    // 8 wide x 4 high, left half white; orientation 6 displays it rotated 90 degrees clockwise (4 x 8, top half white).
    const raw = Buffer.alloc(8 * 4 * 3);
    for (let y = 0; y < 4; y++) for (let xx = 0; xx < 4; xx++) raw.fill(255, (y * 8 + xx) * 3, (y * 8 + xx) * 3 + 3);
    const file = path.join(tmp, 'rotated.jpg');
    await sharp(raw, { raw: { width: 8, height: 4, channels: 3 } }).withMetadata({ orientation: 6 }).jpeg({ quality: 100 }).toFile(file);
    const ds = await openDataset(file, [{ name: 'g', dtype: 'float32', shape: ['N', 1, 8, 4] }]);
    const g = (await firstBatch(ds, 1)).g.data as Float32Array;
    expect(Math.min(...g.subarray(0, 12))).toBeGreaterThan(200);
    expect(Math.max(...g.subarray(20, 32))).toBeLessThan(55);
  });
});

describe('streaming a directory', () => {
  const dir = path.join(tmp, 'many');
  const N = 300;
  beforeAll(async () => {
    fs.mkdirSync(path.join(dir, 'b'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'a'));
    fs.writeFileSync(path.join(dir, 'README.md'), 'not an image');
    for (let i = 0; i < N; i++) {
      // The value of every pixel encodes the index; files split over two folders.
      const sub = i < N / 2 ? 'a' : 'b';
      await sharp(Buffer.alloc(6 * 6, i % 256), { raw: { width: 6, height: 6, channels: 1 } }).png().toFile(path.join(dir, sub, `${String(i).padStart(4, '0')}.png`));
    }
  });

  test('decodes lazily, batch by batch, in path order', async () => {
    const ds = await openDataset(dir, [{ name: 'x', dtype: 'float32', shape: ['N', 1, 6, 6] }]);
    expect(ds.size).toBe(N);
    expect(ds.describe()).toBe(`300 images from ${dir} (GRAY, 6x6, NCHW float32); 1 non-image file ignored`);
    mockSharpCalls.count = 0;
    const it = ds.batches(16)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    // The first batch and at most the next one (prefetched) have been decoded.
    expect(mockSharpCalls.count).toBeGreaterThanOrEqual(16);
    expect(mockSharpCalls.count).toBeLessThanOrEqual(32);
    const seen = [first.value!.x];
    for (let r = await it.next(); !r.done; r = await it.next()) seen.push(r.value.x);
    expect(mockSharpCalls.count).toBe(N);
    expect(seen.map((t) => t.shape[0]).reduce((a, b) => a + b, 0)).toBe(N);
    const firstPixels = seen.flatMap((t) => Array.from({ length: t.shape[0] }, (_, i) => (t.data as Float32Array)[i * 36]));
    expect(firstPixels).toEqual(Array.from({ length: N }, (_, i) => i % 256));
  });

  test('a shuffled pass decodes the same bytes for the same seed', async () => {
    const run = async () => {
      const ds = await openDataset(dir, [{ name: 'x', dtype: 'float32', shape: ['N', 1, 6, 6] }], { shuffleSeed: 42, limit: 40 });
      const b = await firstBatch(ds, 40);
      return Array.from({ length: 40 }, (_, i) => (b.x.data as Float32Array)[i * 36]);
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a).not.toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(new Set(a).size).toBe(40);
  });
});

describe('image errors', () => {
  test('a corrupt image names the file when its batch is read', async () => {
    const dir = path.join(tmp, 'corrupt');
    fs.mkdirSync(dir);
    const good = await sharp(Buffer.alloc(16 * 16 * 3, 90), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
    fs.writeFileSync(path.join(dir, 'a.png'), good);
    fs.writeFileSync(path.join(dir, 'b.png'), good.subarray(0, good.length >> 1));
    fs.writeFileSync(path.join(dir, 'c.jpg'), 'this is not a JPEG');
    const ds = await openDataset(dir, [{ name: 'x', dtype: 'float32', shape: ['N', 3, 16, 16] }]);
    const e = await fails(firstBatch(ds, 2));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toMatch(new RegExp(`^Cannot decode image "${path.join(dir, 'b.png').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": .+; it is corrupt or not an image sharp reads \\(JPEG, PNG, WebP, TIFF, GIF, AVIF\\)$`));
    const l = path.join(tmp, 'corrupt.txt');
    fs.writeFileSync(l, 'corrupt/c.jpg\n');
    const e2 = await fails(firstBatch(await openDataset(l, [{ name: 'x', dtype: 'float32', shape: ['N', 3, 16, 16] }]), 1));
    expect(e2.message).toContain(`Cannot decode image "${path.join(dir, 'c.jpg')}" (line 1 of list "${l}"): `);
  });

  test('a directory for a model with two inputs', async () => {
    const two: ValueInfo[] = [{ name: 'left', dtype: 'float32', shape: ['N', 3, 8, 8] }, { name: 'right', dtype: 'float32', shape: ['N', 3, 8, 8] }];
    const e = await fails(openDataset(path.join(tmp, 'many'), two));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe(`"${path.join(tmp, 'many')}" is a directory of images, which feeds one input, but the model has 2 inputs ("left", "right"); pass one list file per input, in the order of the inputs (each line of list k is the data of input k), or one list whose lines hold 2 space-separated paths`);
  });

  test('an empty directory, and one with images sharp cannot read', async () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'labels.csv'), '1\n');
    const e = await fails(openDataset(empty, [{ name: 'x', dtype: 'float32', shape: ['N', 3, 8, 8] }]));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toBe(`No samples in "${empty}": the directory holds no images (.jpg .jpeg .png .webp .tif .tiff .gif .avif), only 1 other file`);
    fs.writeFileSync(path.join(empty, 'x.bmp'), 'BM');
    const e2 = await fails(openDataset(empty, [{ name: 'x', dtype: 'float32', shape: ['N', 3, 8, 8] }]));
    expect(e2.code).toBe('INVALID_DATA');
    expect(e2.message).toContain(`"${path.join(empty, 'x.bmp')}" is a .bmp image, a format sharp does not decode; convert the images to PNG or JPEG`);
  });

  test('input configs that do not fit the model input', async () => {
    const open = (shape: (number | string)[], inputConfig: object) => fails(openDataset(COFFEE, [{ name: 'img', dtype: 'float32', shape }], { inputConfig }));
    let e = await open(['N', 3, 32, 32], { colorFormat: 'YUV' });
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe('Expected "RGB", "BGR" or "GRAY" for "colorFormat" in options.inputConfig but received the string "YUV"');
    e = await open(['N', 3, 32, 32], { mean: [1, 2] });
    expect(e.message).toBe('"mean" has 2 values in the input config of input "img" but the input has 3 channels (RGB); give one value or 3');
    e = await open(['N', 1, 32, 32], { colorFormat: 'RGB' });
    expect(e.message).toBe('"colorFormat" RGB gives 3 channels but input "img" has shape [N,1,32,32] (1 channel, NCHW)');
    e = await open(['N', 224, 224, 3], {});
    expect(e.message).toBe('Input "img" has shape [N,224,224,3]: with "layout" NCHW that is 224 channels, but images have 1 (GRAY) or 3 (RGB, BGR); set "layout": "NHWC" in the input config');
    e = await open(['N', 3, 'H', 'W'], {});
    expect(e.message).toBe('Input "img" has shape [N,3,H,W], so the image size is unknown; set "size": [height, width] in the input config');
    e = await open(['N', 3, 32, 32], { size: [30, 32] });
    expect(e.message).toBe('"size" [30, 32] in the input config of input "img" does not match its shape [N,3,32,32] (NCHW); remove "size" or give [32, 32]');
    e = await open(['N', 3, 32, 32], { dtype: 'uint8' });
    expect(e.message).toBe('"dtype" uint8 in the input config of input "img" differs from the input\'s type float32; remove "dtype" or give float32');
  });

  test('symbolic height and width take the config size', async () => {
    const ds = await openDataset(COFFEE, [{ name: 'img', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }], { inputConfig: { size: [20, 30] } });
    expect((await firstBatch(ds, 1)).img.shape).toEqual([1, 3, 20, 30]);
  });
});
