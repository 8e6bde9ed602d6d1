/**
 * Datasets of numbers: a single .npy batch, list files of .npy / .raw samples, several inputs,
 * shuffling, limits, and every error case of lib/data with its message.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NpuqError } from '../../lib/errors';
import { ValueInfo } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { readNpy, writeNpy } from '../../lib/data/npy';
import { Dataset, openDataset, shuffledOrder } from '../../lib/data/dataset';

const FIX = path.join(__dirname, '..', 'fixtures');
const X = path.join(FIX, 'digits', 'x.npy');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-dataset-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const DIGITS: ValueInfo[] = [{ name: 'input', dtype: 'float32', shape: ['N', 1, 20, 20] }];

async function fails(p: Promise<unknown>): Promise<NpuqError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof NpuqError) return err;
    throw err;
  }
  throw new Error('Expected an NpuqError but the promise resolved');
}

async function collect(ds: Dataset, batchSize: number): Promise<Record<string, Tensor>[]> {
  const out: Record<string, Tensor>[] = [];
  for await (const b of ds.batches(batchSize)) out.push(b);
  return out;
}

/** Writes `file` with the given lines, returns its path. */
function list(name: string, lines: string[]): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}

function f32(shape: number[], f: (i: number) => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor('float32', shape, Float32Array.from({ length: n }, (_, i) => f(i)));
}

const x = readNpy(X);
const sampleOf = (i: number) => (x.data as Float32Array).subarray(i * 400, (i + 1) * 400);

describe('single .npy batch', () => {
  test('streams the digits batch in order, last batch short', async () => {
    const ds = await openDataset(X, DIGITS);
    expect(ds.size).toBe(500);
    expect(ds.describe()).toBe(`500 samples from ${X} (.npy float32 [1,20,20])`);
    const batches = await collect(ds, 64);
    expect(batches.map((b) => b.input.shape[0])).toEqual([64, 64, 64, 64, 64, 64, 64, 52]);
    expect(batches[7].input.shape).toEqual([52, 1, 20, 20]);
    expect(batches[7].input.dtype).toBe('float32');
    const all = new Float32Array(500 * 400);
    batches.forEach((b, k) => all.set(b.input.data as Float32Array, k * 64 * 400));
    expect(Buffer.from(all.buffer).equals(Buffer.from((x.data as Float32Array).buffer))).toBe(true);
  });

  test('limit and shuffle: a deterministic permutation, same bytes for the same seed', async () => {
    const a = await openDataset(X, DIGITS, { shuffleSeed: 7, limit: 50 });
    expect(a.size).toBe(50);
    expect(a.describe()).toBe(`50 samples (limit 50 of 500) from ${X} (.npy float32 [1,20,20]), shuffled with seed 7`);
    const order = shuffledOrder(500, 7);
    expect([...order].sort((p, q) => p - q)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(order.slice(0, 10)).not.toEqual(Array.from({ length: 10 }, (_, i) => i));
    const [b1] = await collect(a, 50);
    for (let i = 0; i < 50; i++) expect(b1.input.data.slice(i * 400, (i + 1) * 400)).toEqual(sampleOf(order[i]));
    const [b2] = await collect(await openDataset(X, DIGITS, { shuffleSeed: 7, limit: 50 }), 50);
    expect(Buffer.from((b2.input.data as Float32Array).buffer).equals(Buffer.from((b1.input.data as Float32Array).buffer))).toBe(true);
    expect(shuffledOrder(500, 8)).not.toEqual(order);
  });

  test('a batch for a 2-input model is refused with advice', async () => {
    const two: ValueInfo[] = [{ name: 'a', dtype: 'float32', shape: ['N', 4] }, { name: 'b', dtype: 'float32', shape: ['N', 4] }];
    const e = await fails(openDataset(X, two));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain('is a .npy file, which feeds one input, but the model has 2 inputs ("a", "b"); pass one list file per input');
  });

  test('shape mismatch names the file, the input, expected and received shapes', async () => {
    const e = await fails(openDataset(X, [{ name: 'input', dtype: 'float32', shape: ['N', 1, 32, 32] }]));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toBe(`"${X}" has shape [500,1,20,20] but input "input" has shape [N,1,32,32]: expected one sample [1,32,32] or a batch [n,1,32,32]`);
  });

  test('symbolic dims accept any size', async () => {
    const ds = await openDataset(X, [{ name: 'input', dtype: 'float32', shape: ['N', 'C', 'H', 'W'] }], { limit: 3 });
    const [b] = await collect(ds, 8);
    expect(b.input.shape).toEqual([3, 1, 20, 20]);
  });

  test('a .npy with 0 samples is an empty set', async () => {
    const f = path.join(tmp, 'empty.npy');
    writeNpy(f, new Tensor('float32', [0, 1, 20, 20], new Float32Array(0)));
    const e = await fails(openDataset(f, DIGITS));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toBe(`No samples in "${f}": its first dimension (samples) is 0`);
  });

  test('float64 data is converted to the float32 input; floats are never truncated to integers', async () => {
    const f = path.join(tmp, 'f64.npy');
    writeNpy(f, new Tensor('float64', [2, 3], Float64Array.from([0.5, 1, 2, -3, 4.25, 1e-3])));
    const [b] = await collect(await openDataset(f, [{ name: 'v', dtype: 'float32', shape: ['N', 3] }]), 4);
    expect(b.v.dtype).toBe('float32');
    expect(Array.from(b.v.data as Float32Array)).toEqual([0.5, 1, 2, -3, 4.25, Math.fround(1e-3)]);
    const ds = await openDataset(f, [{ name: 'ids', dtype: 'int64', shape: ['N', 3] }]);
    const e = await fails(collect(ds, 4));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toContain(`"${f}" holds float64 data but input "ids" takes int64; convert it (numpy: .astype(np.int64))`);
  });

  test('integers are converted when they fit, else the element is named', async () => {
    const f = path.join(tmp, 'i32.npy');
    writeNpy(f, new Tensor('int32', [1, 3], Int32Array.from([1, 2, 300])));
    const okInt64 = await collect(await openDataset(f, [{ name: 'ids', dtype: 'int64', shape: ['N', 3] }]), 1);
    expect(Array.from(okInt64[0].ids.data as BigInt64Array)).toEqual([1n, 2n, 300n]);
    const e = await fails(collect(await openDataset(f, [{ name: 'ids', dtype: 'uint8', shape: ['N', 3] }]), 1));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toContain(`"${f}" holds 300 at element 2, out of the uint8 range of input "ids"`);
  });
});

describe('NaN and Inf', () => {
  test('the first bad value of a batch file is named with its index', async () => {
    const f = path.join(tmp, 'nan.npy');
    writeNpy(f, f32([3, 2, 2], (i) => (i === 9 ? NaN : i === 11 ? Infinity : i)));
    const ds = await openDataset(f, [{ name: 'v', dtype: 'float32', shape: ['N', 2, 2] }]);
    const e = await fails(collect(ds, 3));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toBe(`"${f}" holds NaN at index [2,0,1] (element 1 of the sample); calibration data must be finite`);
  });

  test('in a listed .raw file', async () => {
    const f = path.join(tmp, 'inf.raw');
    fs.writeFileSync(f, Buffer.from(Float32Array.from([1, 2, -Infinity, 4]).buffer));
    const l = list('inf.txt', ['inf.raw']);
    const e = await fails(collect(await openDataset(l, [{ name: 'v', dtype: 'float32', shape: ['N', 4] }]), 1));
    expect(e.message).toBe(`"${f}" (line 1 of list "${l}") holds -Infinity at index [2] (element 2 of the sample); calibration data must be finite`);
  });
});

describe('list files', () => {
  const dir = path.join(tmp, 'lists');
  beforeAll(() => {
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    // One sample without batch dim, one with a leading 1, a batch of 3, two .raw files.
    writeNpy(path.join(dir, 's0.npy'), new Tensor('float32', [1, 20, 20], Float32Array.from(sampleOf(0))));
    writeNpy(path.join(dir, 'sub', 's1.npy'), new Tensor('float32', [1, 1, 20, 20], Float32Array.from(sampleOf(1))));
    writeNpy(path.join(dir, 'b234.npy'), new Tensor('float32', [3, 1, 20, 20], Float32Array.from(x.data.slice(2 * 400, 5 * 400) as Float32Array)));
    fs.writeFileSync(path.join(dir, 'r5.raw'), Buffer.from(Float32Array.from(sampleOf(5)).buffer));
    fs.writeFileSync(path.join(dir, 'r6.bin'), Buffer.from(Float32Array.from(sampleOf(6)).buffer));
  });

  test('paths relative to the list, comments and blank lines skipped, batches expanded', async () => {
    const l = path.join(dir, 'all.txt');
    fs.writeFileSync(l, '\uFEFF# digits\ns0.npy\r\n\n  sub/s1.npy  \nb234.npy\n# raw\nr5.raw\nr6.bin\n');
    const ds = await openDataset(l, DIGITS);
    expect(ds.size).toBe(7);
    expect(ds.describe()).toBe(`7 samples from ${l} (.npy/.raw float32 [1,20,20])`);
    const batches = await collect(ds, 3);
    expect(batches.map((b) => b.input.shape[0])).toEqual([3, 3, 1]);
    for (let i = 0; i < 7; i++) {
      const b = batches[Math.floor(i / 3)].input.data as Float32Array;
      expect(b.slice((i % 3) * 400, (i % 3 + 1) * 400)).toEqual(sampleOf(i));
    }
  });

  test('a missing entry names the path, the list and the line', async () => {
    const l = list('missing.txt', ['# header', path.join(dir, 's0.npy'), 'nope/none.npy']);
    const e = await fails(openDataset(l, DIGITS));
    expect(e.code).toBe('FILE_NOT_FOUND');
    expect(e.message).toBe(`.npy file "${path.join(tmp, 'nope', 'none.npy')}" (line 3 of list "${l}") does not exist`);
    const e2 = await fails(openDataset(list('missing-img.txt', ['gone.png']), DIGITS));
    expect(e2.message).toBe(`Image "${path.join(tmp, 'gone.png')}" (line 1 of list "${path.join(tmp, 'missing-img.txt')}") does not exist`);
  });

  test('a missing spec, an empty list, an unknown entry kind', async () => {
    const e = await fails(openDataset(path.join(tmp, 'no-such-dir'), DIGITS));
    expect(e.code).toBe('FILE_NOT_FOUND');
    expect(e.message).toBe(`Data "${path.join(tmp, 'no-such-dir')}" does not exist`);
    const empty = list('empty.txt', ['# nothing', '', '   ']);
    const e2 = await fails(openDataset(empty, DIGITS));
    expect(e2.code).toBe('INVALID_DATA');
    expect(e2.message).toBe(`No samples in list "${empty}": it lists no files (blank lines and # comments are skipped)`);
    fs.writeFileSync(path.join(tmp, 'table.csv'), '1,2\n');
    const e3 = await fails(openDataset(list('csv.txt', ['table.csv']), DIGITS));
    expect(e3.code).toBe('INVALID_DATA');
    expect(e3.message).toContain(`"${path.join(tmp, 'table.csv')}" (line 1 of list "${path.join(tmp, 'csv.txt')}") is neither an image (.jpg .jpeg .png`);
  });

  test('a listed .npy of the wrong shape', async () => {
    const f = path.join(tmp, 'wrong.npy');
    writeNpy(f, f32([1, 28, 28], () => 0));
    const l = list('wrong.txt', ['wrong.npy']);
    const e = await fails(openDataset(l, DIGITS));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toBe(`"${f}" (line 1 of list "${l}") has shape [1,28,28] but input "input" has shape [N,1,20,20]: expected one sample [1,20,20] or a batch [n,1,20,20]`);
  });

  test('a .raw file of the wrong size names expected and received bytes', async () => {
    const f = path.join(tmp, 'short.raw');
    fs.writeFileSync(f, Buffer.alloc(1596));
    const l = list('short.txt', ['short.raw']);
    const e = await fails(openDataset(l, DIGITS));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toBe(`"${f}" (line 1 of list "${l}") has 1596 bytes but one sample of input "input" ([1,20,20] float32, little-endian) is 1600 bytes`);
  });

  test('.raw files use the config dtype', async () => {
    const f = path.join(tmp, 'u8.raw');
    fs.writeFileSync(f, Buffer.from([1, 2, 3, 250]));
    const ds = await openDataset(list('u8.txt', ['u8.raw']), [{ name: 'v', dtype: undefined, shape: ['N', 4] }], { inputConfig: { dtype: 'uint8' } });
    const [b] = await collect(ds, 2);
    expect(b.v.dtype).toBe('uint8');
    expect(Array.from(b.v.data as Uint8Array)).toEqual([1, 2, 3, 250]);
  });

  test('samples of different sizes for symbolic dims: batch 1 works, a mixed batch names both files', async () => {
    writeNpy(path.join(tmp, 'h4.npy'), f32([1, 4, 4], (i) => i));
    writeNpy(path.join(tmp, 'h6.npy'), f32([1, 6, 6], (i) => i));
    const l = list('sizes.txt', ['h4.npy', 'h6.npy']);
    const inputs: ValueInfo[] = [{ name: 'img', dtype: 'float32', shape: ['N', 1, 'H', 'W'] }];
    const ones = await collect(await openDataset(l, inputs), 1);
    expect(ones.map((b) => b.img.shape)).toEqual([[1, 1, 4, 4], [1, 1, 6, 6]]);
    const e = await fails(collect(await openDataset(l, inputs), 2));
    expect(e.code).toBe('SHAPE_MISMATCH');
    expect(e.message).toContain(`"${path.join(tmp, 'h6.npy')}" (line 2 of list "${l}") has shape [1,6,6] but "${path.join(tmp, 'h4.npy')}" in the same batch has [1,4,4]`);
  });

  test('big-endian and Fortran-order files are read right', async () => {
    const src = path.join(FIX, 'npy');
    const l = list('orders.txt', [path.join(src, 'f4_be.npy'), path.join(src, 'f4_fortran.npy')]);
    const [b] = await collect(await openDataset(l, [{ name: 'v', dtype: 'float32', shape: ['N', 3, 4] }]), 8);
    const want = Array.from({ length: 24 }, (_, i) => (i - 12) * 0.5);
    expect(b.v.shape).toEqual([4, 3, 4]);
    expect(Array.from(b.v.data as Float32Array)).toEqual([...want, ...want]);
  });
});

describe('several inputs', () => {
  const two: ValueInfo[] = [
    { name: 'a', dtype: 'float32', shape: ['N', 2] },
    { name: 'b', dtype: 'int64', shape: ['N', 1] },
  ];
  beforeAll(() => {
    for (let i = 0; i < 5; i++) {
      writeNpy(path.join(tmp, `a${i}.npy`), f32([2], (j) => 10 * i + j));
      writeNpy(path.join(tmp, `b${i}.npy`), new Tensor('int64', [1], BigInt64Array.from([BigInt(i)])));
    }
  });

  test('one list per input, paired line by line, shuffled together', async () => {
    const la = list('la.txt', [0, 1, 2, 3, 4].map((i) => `a${i}.npy`));
    const lb = list('lb.txt', [0, 1, 2, 3, 4].map((i) => `b${i}.npy`));
    const ds = await openDataset([la, lb], two, { shuffleSeed: 3 });
    expect(ds.describe()).toBe(`5 samples: input "a" from ${la} (.npy float32 [2]); input "b" from ${lb} (.npy int64 [1]), shuffled with seed 3`);
    const [batch] = await collect(ds, 5);
    const order = shuffledOrder(5, 3);
    expect(Array.from(batch.b.data as BigInt64Array)).toEqual(order.map((i) => BigInt(i)));
    expect(Array.from(batch.a.data as Float32Array)).toEqual(order.flatMap((i) => [10 * i, 10 * i + 1]));
  });

  test('one list with a path per input on each line (RKNN dataset.txt style)', async () => {
    const l = list('pairs.txt', [0, 1, 2].map((i) => `a${i}.npy b${i}.npy`));
    const [batch] = await collect(await openDataset(l, two), 4);
    expect(batch.a.shape).toEqual([3, 2]);
    expect(Array.from(batch.b.data as BigInt64Array)).toEqual([0n, 1n, 2n]);
    const bad = list('pairs-bad.txt', ['a0.npy b0.npy', 'a1.npy']);
    const e = await fails(openDataset(bad, two));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toBe(`Line 2 of list "${bad}" has 1 path but the model has 2 inputs ("a", "b"); give 2 space-separated paths per line, or one list per input`);
  });

  test('lists of different lengths, or a wrong number of sources', async () => {
    const la = list('la3.txt', ['a0.npy', 'a1.npy', 'a2.npy']);
    const lb = list('lb2.txt', ['b0.npy', 'b1.npy']);
    const e = await fails(openDataset([la, lb], two));
    expect(e.code).toBe('INVALID_DATA');
    expect(e.message).toBe(`"${la}" gives 3 samples for input "a" but "${lb}" gives 2 for input "b"; the sources of the inputs must pair up sample by sample`);
    const e2 = await fails(openDataset([la, lb, lb], two));
    expect(e2.code).toBe('INVALID_ARGUMENT');
    expect(e2.message).toBe('Expected one data source for all inputs or one per model input (2: "a", "b") but received 3');
  });
});

describe('API misuse', () => {
  test('bad spec, inputs, options and batch size', async () => {
    await expect(openDataset('', DIGITS)).rejects.toThrow(new TypeError('Expected a path or a non-empty array of paths for the dataset spec but received the string ""'));
    await expect(openDataset(X, [])).rejects.toThrow('Expected a non-empty array of model inputs ({ name, dtype, shape }) for openDataset but received an array of length 0');
    await expect(openDataset(X, DIGITS, { limit: 0 })).rejects.toThrow(new RangeError('Expected a positive integer for options.limit but received number 0'));
    await expect(openDataset(X, DIGITS, { shuffleSeed: -1 })).rejects.toThrow('Expected an integer in [0, 4294967295] for options.shuffleSeed but received number -1');
    const ds = await openDataset(X, DIGITS);
    expect(() => ds.batches(0)).toThrow(new RangeError('Expected a positive integer for batchSize but received number 0'));
    expect(() => ds.batches(1.5)).toThrow(RangeError);
  });

  test('an input config for an input the model does not have', async () => {
    const e = await fails(openDataset(X, DIGITS, { inputConfig: { image: { size: [20, 20] } } }));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe('The input config names "image", which is not an input of the model; its inputs are "input"');
  });
});
