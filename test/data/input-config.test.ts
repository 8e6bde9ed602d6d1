/** Input configs: validation messages naming the key, JSON files, per-input configs, defaults. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NpuqError } from '../../lib/errors';
import { Tensor } from '../../lib/ir/tensor';
import { writeNpy } from '../../lib/data/npy';
import { openDataset } from '../../lib/data/dataset';
import { loadInputConfig, resolveImagePlan, validateInputConfig, validateInputConfigs } from '../../lib/data/input-config';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-inputcfg-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const COFFEE = path.join(__dirname, '..', 'fixtures', 'images', 'skimage_coffee.jpg');

function thrown(f: () => unknown): NpuqError {
  try {
    f();
  } catch (err) {
    if (err instanceof NpuqError) return err;
    throw err;
  }
  throw new Error('Expected an NpuqError but nothing was thrown');
}

async function rejected(p: Promise<unknown>): Promise<NpuqError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof NpuqError) return err;
    throw err;
  }
  throw new Error('Expected an NpuqError but the promise resolved');
}

function json(name: string, text: string): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
}

describe('validateInputConfig', () => {
  test('accepts every key and copies arrays', () => {
    const mean = [1, 2, 3];
    const c = validateInputConfig({ size: [224, 160], resize: 'area', colorFormat: 'BGR', mean, std: 58, layout: 'NHWC', dtype: 'uint8' });
    expect(c).toEqual({ size: [224, 160], resize: 'area', colorFormat: 'BGR', mean: [1, 2, 3], std: 58, layout: 'NHWC', dtype: 'uint8' });
    expect(c.mean).not.toBe(mean);
  });

  test.each([
    [{ colour: 'RGB' }, 'Unknown key "colour" in the input config; the keys of an input config are size, resize, colorFormat, mean, std, layout, dtype (or give one config per input name)'],
    [{ colorFormat: 'rgb' }, 'Expected "RGB", "BGR" or "GRAY" for "colorFormat" in the input config but received the string "rgb"'],
    [{ resize: 'cubic' }, 'Expected "bilinear", "area" or "nearest" for "resize" in the input config but received the string "cubic"'],
    [{ layout: 'CHW' }, 'Expected "NCHW" or "NHWC" for "layout" in the input config but received the string "CHW"'],
    [{ dtype: 'float16' }, 'Expected "float32", "uint8" or "int8" for "dtype" in the input config but received the string "float16"'],
    [{ size: [224] }, 'Expected [height, width] with integers in [1, 65535] for "size" in the input config but received [224]'],
    [{ size: [0, 3] }, 'Expected [height, width] with integers in [1, 65535] for "size" in the input config but received [0,3]'],
    [{ mean: 'imagenet' }, 'Expected a finite number or an array of them (one per channel) for "mean" in the input config but received the string "imagenet"'],
    [{ mean: [] }, 'Expected a finite number or a non-empty array of them (one per channel) for "mean" in the input config but received []'],
    [{ std: [58, 0, 57] }, 'Expected a positive finite number or a non-empty array of them (one per channel) for "std" in the input config but received [58,0,57]'],
    [{ std: -1 }, 'Expected a positive finite number or an array of them (one per channel) for "std" in the input config but received number -1'],
  ])('%j', (cfg, message) => {
    const e = thrown(() => validateInputConfig(cfg));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe(message);
  });

  test('one config or one per input name', () => {
    expect(validateInputConfigs({})).toEqual({});
    expect(validateInputConfigs({ std: 255 })).toEqual({ std: 255 });
    expect(validateInputConfigs({ image: { std: 255 }, mask: {} })).toEqual({ image: { std: 255 }, mask: {} });
    const e = thrown(() => validateInputConfigs({ image: { std: 255 }, std: 2 }));
    expect(e.message).toBe('Mixed the input config: "image" holds an object but "std" does not; give either one config ({ "size": [h, w], "mean": ... }) or one config per input name ({ "image": { ... } })');
    const e2 = thrown(() => validateInputConfigs({ image: { colorFormat: 'YUV' } }));
    expect(e2.message).toBe('Expected "RGB", "BGR" or "GRAY" for "colorFormat" in the input config of input "image" but received the string "YUV"');
  });
});

describe('loadInputConfig', () => {
  test('reads one config or per-input configs from JSON', async () => {
    expect(await loadInputConfig(json('one.json', '{ "size": [32, 32], "mean": [123.7, 116.3, 103.5], "std": 58.4 }'))).toEqual({ size: [32, 32], mean: [123.7, 116.3, 103.5], std: 58.4 });
    expect(await loadInputConfig(json('per.json', '\uFEFF{ "image": { "colorFormat": "BGR" } }'))).toEqual({ image: { colorFormat: 'BGR' } });
  });

  test('errors name the file and the key', async () => {
    const bad = json('bad.json', '{ "colorFormat": "YUV" }');
    const e = await rejected(loadInputConfig(bad));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe(`Expected "RGB", "BGR" or "GRAY" for "colorFormat" in input config "${bad}" but received the string "YUV"`);
    const syntax = json('syntax.json', '{ "std": 255, }');
    const e2 = await rejected(loadInputConfig(syntax));
    expect(e2.code).toBe('INVALID_DATA');
    expect(e2.message).toMatch(new RegExp(`^Input config file ".*syntax\\.json" is not valid JSON: `));
    const e3 = await rejected(loadInputConfig(path.join(tmp, 'none.json')));
    expect(e3.code).toBe('FILE_NOT_FOUND');
    expect(e3.message).toBe(`input config file "${path.join(tmp, 'none.json')}" does not exist`);
    const arr = json('arr.json', '[1, 2]');
    expect((await rejected(loadInputConfig(arr))).message).toBe(`Expected an object for input config "${arr}" but received an array of length 2`);
  });
});

describe('resolveImagePlan defaults', () => {
  test('GRAY for one channel, RGB for three, size from the shape, dtype from the input', () => {
    expect(resolveImagePlan(undefined, { name: 'x', dtype: 'float32', shape: ['N', 1, 28, 28] })).toEqual({
      input: 'x', height: 28, width: 28, resize: 'bilinear', colorFormat: 'GRAY', channels: 1, mean: [0], std: [1], layout: 'NCHW', dtype: 'float32',
    });
    const p = resolveImagePlan({ layout: 'NHWC', mean: 127.5, std: [128] }, { name: 'x', dtype: 'uint8', shape: [1, 96, 128, 3] });
    expect(p).toMatchObject({ height: 96, width: 128, colorFormat: 'RGB', channels: 3, mean: [127.5, 127.5, 127.5], std: [128, 128, 128], dtype: 'uint8' });
    const q = resolveImagePlan({ size: [10, 12] }, { name: 'x', dtype: undefined, shape: undefined });
    expect(q).toMatchObject({ height: 10, width: 12, colorFormat: 'RGB', layout: 'NCHW', dtype: 'float32' });
  });

  test('a float16 input cannot take images; a rank-2 input neither', () => {
    expect(thrown(() => resolveImagePlan(undefined, { name: 'x', dtype: 'float16', shape: ['N', 3, 8, 8] })).message)
      .toBe('Input "x" takes float16; images can feed float32, uint8 or int8 inputs only; pass .npy files instead');
    expect(thrown(() => resolveImagePlan(undefined, { name: 'x', dtype: 'float32', shape: ['N', 10] })).message)
      .toBe('Input "x" has shape [N,10]; images can feed only rank-4 inputs (NCHW or NHWC)');
  });
});

describe('per-input configs in openDataset', () => {
  test('each input gets its own config; .npy inputs ignore image settings', async () => {
    fs.writeFileSync(path.join(tmp, 'pic.txt'), `${COFFEE}\n${COFFEE}\n`);
    writeNpy(path.join(tmp, 'meta.npy'), new Tensor('float32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6])));
    fs.writeFileSync(path.join(tmp, 'meta.txt'), 'meta.npy\n');
    const inputs = [
      { name: 'pic', dtype: 'float32' as const, shape: ['N', 3, 'H', 'W'] },
      { name: 'meta', dtype: 'float32' as const, shape: ['N', 3] },
    ];
    const ds = await openDataset([path.join(tmp, 'pic.txt'), path.join(tmp, 'meta.txt')], inputs, { inputConfig: { pic: { size: [8, 12], colorFormat: 'BGR' } } });
    expect(ds.describe()).toBe(`2 samples: input "pic" from ${path.join(tmp, 'pic.txt')} (BGR, 8x12, NCHW float32); input "meta" from ${path.join(tmp, 'meta.txt')} (.npy float32 [3])`);
    for await (const b of ds.batches(2)) {
      expect(b.pic.shape).toEqual([2, 3, 8, 12]);
      expect(Array.from(b.meta.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });
});
