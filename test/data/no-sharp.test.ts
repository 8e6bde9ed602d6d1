/** Without sharp: .npy datasets work, images fail with a message saying how to get sharp. */
import * as path from 'path';
import { NpuqError } from '../../lib/errors';
import { openDataset } from '../../lib/data/dataset';

jest.mock('sharp', () => {
  throw new Error("Cannot find module 'sharp'");
});

const FIX = path.join(__dirname, '..', 'fixtures');

test('.npy data needs no sharp', async () => {
  const ds = await openDataset(path.join(FIX, 'digits', 'x.npy'), [{ name: 'input', dtype: 'float32', shape: ['N', 1, 20, 20] }], { limit: 4 });
  for await (const b of ds.batches(4)) expect(b.input.shape).toEqual([4, 1, 20, 20]);
});

test('images report that sharp is missing', async () => {
  const ds = await openDataset(path.join(FIX, 'images', 'skimage_coffee.jpg'), [{ name: 'img', dtype: 'float32', shape: ['N', 3, 16, 16] }]);
  let err: unknown;
  try {
    for await (const b of ds.batches(1)) expect(b).toBeUndefined();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NpuqError);
  expect((err as NpuqError).code).toBe('UNSUPPORTED');
  expect((err as NpuqError).message).toBe('Reading images needs the "sharp" package, which could not be loaded (Cannot find module \'sharp\'); install it with "npm i sharp" or pass .npy files instead');
});
