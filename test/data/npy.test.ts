import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NpuqError } from '../../lib/errors';
import { DType, Tensor } from '../../lib/ir/tensor';
import { encodeNpy, readNpy, writeNpy } from '../../lib/data/npy';
import { parsePyLiteral } from '../../lib/data/py-literal';

const FIX = path.join(__dirname, '..', 'fixtures');
const NPY = path.join(FIX, 'npy');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-npy-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function catchNpuq(f: () => unknown): NpuqError {
  try {
    f();
  } catch (err) {
    if (err instanceof NpuqError) return err;
    throw err;
  }
  throw new Error('Expected an NpuqError but nothing was thrown');
}

/** The values make_npy.py writes: v = arange(24), v - 12 for signed, (v - 12) / 2 for floats, v % 3 == 0 for bool. */
function expected(code: string): number[] {
  const v = Array.from({ length: 24 }, (_, i) => i);
  if (code === 'b1') return v.map((x) => (x % 3 === 0 ? 1 : 0));
  if (code[0] === 'f') return v.map((x) => (x - 12) * 0.5);
  if (code[0] === 'i') return v.map((x) => x - 12);
  return v;
}

const CODES: [string, DType][] = [
  ['f2', 'float16'], ['f4', 'float32'], ['f8', 'float64'], ['i1', 'int8'], ['u1', 'uint8'], ['i2', 'int16'],
  ['u2', 'uint16'], ['i4', 'int32'], ['u4', 'uint32'], ['i8', 'int64'], ['u8', 'uint64'], ['b1', 'bool'],
];

function values(t: Tensor): number[] {
  if (t.dtype === 'float16') return Array.from(t.data as Uint16Array, halfToFloat);
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** .npy bytes with a hand-written header (padded like numpy) and data. */
function npy(header: string, data: Uint8Array = new Uint8Array(0), major = 1): Buffer {
  const pre = major === 1 ? 10 : 12;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  const h = Buffer.alloc(total, 0x20);
  h.write('\x93NUMPY', 0, 'latin1');
  h[6] = major;
  h[7] = 0;
  if (major === 1) h.writeUInt16LE(total - pre, 8);
  else h.writeUInt32LE(total - pre, 8);
  h.write(header, pre, major === 3 ? 'utf8' : 'latin1');
  h[total - 1] = 0x0a;
  return Buffer.concat([h, data]);
}

describe('readNpy on files written by numpy', () => {
  it.each(CODES)('reads %s (%s) in both byte orders', (code, dtype) => {
    for (const order of ['le', 'be']) {
      const t = readNpy(path.join(NPY, `${code}_${order}.npy`));
      expect([order, t.dtype, t.shape]).toEqual([order, dtype, [2, 3, 4]]);
      expect(values(t)).toEqual(expected(code));
    }
  });

  it('transposes Fortran-order arrays to C order', () => {
    expect(values(readNpy(path.join(NPY, 'f4_fortran.npy')))).toEqual(expected('f4'));
    const be = readNpy(path.join(NPY, 'i8_fortran_be.npy'));
    expect([be.dtype, be.shape, values(be)]).toEqual(['int64', [2, 3, 4], expected('i8')]);
    const u = readNpy(path.join(NPY, 'u1_fortran_2d.npy'));
    expect([u.shape, values(u)]).toEqual([[4, 6], expected('u1')]);
  });

  it('reads 0-d, empty and 1-d arrays, and format versions 2.0 and 3.0', () => {
    const s = readNpy(path.join(NPY, 'f8_scalar.npy'));
    expect([s.dtype, s.shape, values(s)]).toEqual(['float64', [], [3.25]]);
    const e = readNpy(path.join(NPY, 'f4_empty.npy'));
    expect([e.shape, e.size]).toEqual([[0, 3], 0]);
    expect(values(readNpy(path.join(NPY, 'i4_1d.npy')))).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const v of ['v2', 'v3']) expect(values(readNpy(path.join(NPY, `f4_${v}.npy`)))).toEqual(expected('f4'));
  });

  it('reads the digits data', () => {
    const x = readNpy(path.join(FIX, 'digits', 'x.npy'));
    expect([x.dtype, x.shape]).toEqual(['float32', [500, 1, 20, 20]]);
    expect((x.data as Float32Array).reduce((a, b) => Math.max(a, b), 0)).toBe(1);
    const y = readNpy(fs.readFileSync(path.join(FIX, 'digits', 'y.npy')));
    expect([y.dtype, y.shape]).toEqual(['uint8', [500]]);
    expect(new Set(y.data as Uint8Array).size).toBe(10);
  });

  it('rejects numpy dtypes it does not read with UNSUPPORTED', () => {
    const cases: [string, string][] = [
      ['c8.npy', `has dtype '<c8' (complex), which npuquant does not read; supported: <f2 <f4 <f8 |i1 |u1 <i2 <u2 <i4 <u4 <i8 <u8 |b1`],
      ['U3.npy', `has dtype '<U3' (unicode string), which npuquant does not read`],
      ['structured.npy', 'holds a structured array (descr is a list of fields); npuquant reads plain arrays of'],
    ];
    for (const [f, msg] of cases) {
      const e = catchNpuq(() => readNpy(path.join(NPY, f)));
      expect(e.code).toBe('UNSUPPORTED');
      expect(e.message).toContain(`"${path.join(NPY, f)}" ${msg}`);
    }
  });
});

describe('encodeNpy / writeNpy', () => {
  it.each(CODES)('writes %s byte-identical to numpy', (code) => {
    const bytes = fs.readFileSync(path.join(NPY, `${code}_le.npy`));
    expect(encodeNpy(readNpy(bytes)).equals(bytes)).toBe(true);
  });

  it('writes 0-d, 1-d, big-endian-sourced and Fortran-sourced arrays as numpy does', () => {
    for (const f of ['f8_scalar.npy', 'i4_1d.npy', 'f4_empty.npy']) {
      const bytes = fs.readFileSync(path.join(NPY, f));
      expect([f, encodeNpy(readNpy(bytes)).equals(bytes)]).toEqual([f, true]);
    }
    expect(encodeNpy(readNpy(path.join(NPY, 'f4_be.npy'))).equals(fs.readFileSync(path.join(NPY, 'f4_le.npy')))).toBe(true);
    const fromFortran = readNpy(encodeNpy(readNpy(path.join(NPY, 'f4_fortran.npy'))));
    expect(values(fromFortran)).toEqual(expected('f4'));
  });

  it('round-trips every numeric dtype through a file', () => {
    for (const [, dtype] of CODES) {
      const t = Tensor.fromNumbers(dtype, [3, 2], dtype === 'bool' ? [0, 1, 1, 0, 0, 1] : [0, 1, 2, 3, 4, 5]);
      const f = path.join(tmp, `${dtype}.npy`);
      writeNpy(f, t);
      const back = readNpy(f);
      expect([back.dtype, back.shape, back.data]).toEqual([dtype, [3, 2], t.data]);
    }
    expect(fs.readdirSync(tmp).every((f) => f.endsWith('.npy'))).toBe(true);
  });

  it('refuses bfloat16 and string tensors and bad arguments', () => {
    const bf = catchNpuq(() => encodeNpy(Tensor.zeros('bfloat16', [1])));
    expect([bf.code, bf.message]).toEqual(['UNSUPPORTED',
      'Cannot write a bfloat16 tensor as .npy: numpy has no bfloat16 dtype npuquant writes (supported: <f2 <f4 <f8 |i1 |u1 <i2 <u2 <i4 <u4 <i8 <u8 |b1); convert it to float32 first']);
    expect(catchNpuq(() => encodeNpy(new Tensor('string', [1], ['a']))).code).toBe('UNSUPPORTED');
    expect(catchNpuq(() => encodeNpy([1, 2] as unknown as Tensor)).message).toBe('Expected a Tensor for encodeNpy but received an array of length 2');
    expect(catchNpuq(() => writeNpy('', Tensor.zeros('float32', [1]))).message).toBe('Expected a non-empty path string for the .npy path of writeNpy but received the string ""');
  });
});

describe('readNpy errors', () => {
  const f4 = Buffer.from(Float32Array.from([1, 2, 3, 4, 5, 6]).buffer);
  const good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const bad = (bytes: Buffer, name: string) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, bytes);
    const e = catchNpuq(() => readNpy(file));
    expect(e.file).toBe(file);
    return [e.code, e.message.replace(`"${file}" `, '')];
  };

  it('accepts hand-written headers: Python 2 longs, double quotes, extra spaces, no trailing comma', () => {
    expect(values(readNpy(npy(good, f4)))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", f4)).shape).toEqual([2, 3]);
    expect(readNpy(npy('{ "shape" : ( 6 , ) , "fortran_order" : False , "descr" : "<f4" }', f4)).shape).toEqual([6]);
    expect(readNpy(npy(good, f4, 2)).shape).toEqual([2, 3]);
  });

  it('names the file and the problem', () => {
    expect(bad(Buffer.from('PK\x03\x04 not numpy at all'), 'zip.npy')).toEqual(['INVALID_DATA', 'does not start with the .npy magic "\\x93NUMPY"; it is not a .npy file']);
    expect(bad(Buffer.alloc(0), 'empty.npy')).toEqual(['INVALID_DATA', 'is empty (0 bytes)']);
    expect(bad(npy(good, f4).subarray(0, 9), 'short.npy')).toEqual(['INVALID_DATA', 'is truncated inside its header']);
    expect(bad(npy(good, f4).subarray(0, 40), 'hdr.npy')).toEqual(['INVALID_DATA', 'is truncated: its header says 118 bytes but only 30 follow']);
    expect(bad(npy(good, f4.subarray(0, 20)), 'data.npy')).toEqual(['INVALID_DATA', 'is truncated: shape (2, 3) of float32 needs 24 bytes of data but only 20 follow the header']);
    expect(bad(npy(good.replace('<f4', '<x4'), f4), 'dt.npy')).toEqual(['INVALID_DATA', "its header has an unknown dtype '<x4'; supported: <f2 <f4 <f8 |i1 |u1 <i2 <u2 <i4 <u4 <i8 <u8 |b1"]);
    expect(bad(npy(good.replace('<f4', '<f16'), f4), 'ld.npy')[0]).toBe('UNSUPPORTED');
    expect(bad(npy(good.slice(0, -2), f4), 'parse.npy')).toEqual(['INVALID_DATA',
      `has a header that cannot be parsed (unexpected end of input at character 57 of "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3),")`]);
    expect(bad(npy("{'descr': '<f4', 'shape': (2, 3)}", f4), 'key.npy')).toEqual(['INVALID_DATA',
      `has a header without the key 'fortran_order': "{'descr': '<f4', 'shape': (2, 3)}"`]);
    expect(bad(npy(good.replace('False', '0'), f4), 'fo.npy')).toEqual(['INVALID_DATA', 'has fortran_order = number 0; expected True or False']);
    expect(bad(npy(good.replace('(2, 3)', '(2, -3)'), f4), 'neg.npy')).toEqual(['INVALID_DATA', 'has shape = [2,-3]; expected a tuple of non-negative integers']);
    expect(bad(npy('[1, 2]', f4), 'list.npy')).toEqual(['INVALID_DATA', 'has a header that is not a dict: "[1, 2]"']);
    const v4 = npy(good, f4);
    v4[6] = 4;
    expect(bad(v4, 'v4.npy')).toEqual(['INVALID_DATA', 'has format version 4.0; npuquant reads 1.0, 2.0 and 3.0']);
    expect(bad(npy(good.replace('(2, 3)', '(65536, 65536)'), f4), 'big.npy')).toEqual(['UNSUPPORTED',
      'has shape (65536, 65536) = 4294967296 elements, more than the 2^31 npuquant handles']);
  });

  it('reports missing files and bad arguments', () => {
    const missing = path.join(tmp, 'missing.npy');
    const e = catchNpuq(() => readNpy(missing));
    expect([e.code, e.message]).toEqual(['FILE_NOT_FOUND', `.npy file "${missing}" does not exist`]);
    expect(catchNpuq(() => readNpy(7 as unknown as string)).message).toBe('Expected a file path or a Uint8Array for readNpy but received number 7');
    expect(catchNpuq(() => readNpy(Buffer.from('nope'))).message).toBe('The .npy buffer does not start with the .npy magic "\\x93NUMPY"; it is not a .npy file');
  });
});

describe('parsePyLiteral', () => {
  it('parses the literals numpy headers use', () => {
    expect(parsePyLiteral("{'a': (1, 2,), 'b': [True, False, None], 'c': 'x\\'y', 'd': -1.5e3, 'e': ()}"))
      .toEqual(new Map<string, unknown>([['a', [1, 2]], ['b', [true, false, null]], ['c', "x'y"], ['d', -1500], ['e', []]]));
    expect(parsePyLiteral('"\\u00e9\\x41\\n"')).toBe('éA\n');
    expect(() => parsePyLiteral('{1: nope}')).toThrow("unknown name 'nope' at character 4");
    expect(() => parsePyLiteral("'open")).toThrow('unterminated string');
  });
});
