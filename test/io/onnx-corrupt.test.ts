import * as fs from 'fs';
import * as path from 'path';
import { NpuqError } from '../../lib/errors';
import { loadModel, loadModelSync } from '../../lib/io/onnx';
import { catchNpuq, catchNpuqAsync, DIGITS_MODELS, tmpDir } from './helpers';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dir = tmpDir();
const original = fs.readFileSync(DIGITS_MODELS[0]);

describe('truncated, corrupt and non-ONNX files', () => {
  it('reports a truncated model at every one of many offsets as INVALID_MODEL naming the file', () => {
    const file = path.join(dir, 'truncated.onnx');
    const offsets = new Set<number>();
    for (let i = 1; i < 64; i++) offsets.add(i);
    for (let i = 0; i < 150; i++) offsets.add(Math.floor((original.length * i) / 150));
    for (let i = 1; i < 32; i++) offsets.add(original.length - i);
    offsets.delete(0);
    for (const n of offsets) {
      fs.writeFileSync(file, original.subarray(0, n));
      const e = catchNpuq(() => loadModelSync(file));
      expect([n, e.code, e.file]).toEqual([n, 'INVALID_MODEL', file]);
      expect(e.message.startsWith(`"${file}"`)).toBe(true);
    }
  });

  it('says what is wrong with a truncated model', () => {
    const e = catchNpuq(() => loadModelSync(original.subarray(0, 1000), { name: 'cut.onnx' }));
    expect(e.message).toMatch(/^cut\.onnx is not a valid ONNX model: its protobuf data is corrupt or truncated \(.+\)$/);
  });

  it('reports random bytes as INVALID_MODEL', () => {
    const r = rng(1234);
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.alloc(1 + Math.floor(r() * 4096));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(r() * 256);
      const e = catchNpuq(() => loadModelSync(bytes, { name: `random-${i}` }));
      expect([i, e.code]).toEqual([i, 'INVALID_MODEL']);
      expect(e.message.startsWith(`random-${i}`)).toBe(true);
    }
  });

  it('never throws anything but NpuqError when bytes of a valid model are flipped', () => {
    const r = rng(99);
    const models = DIGITS_MODELS.map((p) => fs.readFileSync(p));
    let loaded = 0;
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(models[i % models.length]);
      const flips = 1 + Math.floor(r() * 4);
      // Half of the flips hit the first 4 KiB, where the graph structure is.
      for (let k = 0; k < flips; k++) bytes[Math.floor(r() * (i % 2 ? 4096 : bytes.length))] ^= 1 + Math.floor(r() * 255);
      try {
        loadModelSync(bytes);
        loaded++;
      } catch (err) {
        if (!(err instanceof NpuqError)) throw err;
        expect(['INVALID_MODEL', 'UNSUPPORTED']).toContain(err.code);
      }
    }
    expect(loaded).toBeLessThan(300);
  });

  it('reports an empty file', async () => {
    const file = path.join(dir, 'empty.onnx');
    fs.writeFileSync(file, '');
    const e = await catchNpuqAsync(() => loadModel(file));
    expect([e.code, e.file, e.message]).toEqual(['INVALID_MODEL', file, `"${file}" is empty (0 bytes); it is not an ONNX model`]);
  });

  it('recognises text files, Git LFS pointers, .npy files and zip archives', () => {
    const cases: [string, string | Buffer, string][] = [
      ['notes.onnx', 'hello world\nsecond line\n', 'is a text file (it starts with "hello world"), not a binary ONNX model'],
      ['lfs.onnx', 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n',
        'is a Git LFS pointer file, not the model itself; fetch the model with "git lfs pull"'],
      ['x.onnx', fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'digits', 'y.npy')), 'is a NumPy .npy file, not an ONNX model'],
      ['ckpt.onnx', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(30)]), 'is a ZIP archive (a PyTorch checkpoint?), not an ONNX model'],
    ];
    for (const [name, content, why] of cases) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      const e = catchNpuq(() => loadModelSync(file));
      expect([e.code, e.file, e.message]).toEqual(['INVALID_MODEL', file, `"${file}" ${why}`]);
    }
  });

  it('reports a protobuf that is not a model (no graph)', () => {
    // A valid TensorProto: field 1 (dims) = 3, field 2 (data_type) = 1.
    const e = catchNpuq(() => loadModelSync(Buffer.from([0x08, 0x03, 0x10, 0x01]), { name: 'tensor.pb' }));
    expect(e.message).toBe('tensor.pb: the file contains no graph; it is not an ONNX model, or it is truncated');
  });

  it('refuses files over 2 GiB before reading them', async () => {
    const file = path.join(dir, 'huge.onnx');
    fs.closeSync(fs.openSync(file, 'w'));
    fs.truncateSync(file, 2 ** 31 + 16); // sparse: takes no disk space
    for (const e of [catchNpuq(() => loadModelSync(file)), await catchNpuqAsync(() => loadModel(file))]) {
      expect(e.code).toBe('UNSUPPORTED');
      expect(e.file).toBe(file);
      expect(e.message).toBe(`ONNX model "${file}" is 2147483664 bytes, larger than protobuf's 2 GiB limit; save the weights as external data (onnx.save_model(..., save_as_external_data=True), or npuquant's saveModel with externalDataThreshold)`);
    }
    fs.rmSync(file);
  });
});
