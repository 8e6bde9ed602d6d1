import { native } from '../../lib/native';
import { buildLut, LUT_FUNCTIONS } from '../../lib/quantize/lut';
import type { NativePlan } from '../../typings/native';

describe('lookup tables for non-linear ops', () => {
  it('builds a sigmoid table by hand-checkable values and runs it in the engine', async () => {
    const input = { dtype: 'int8' as const, scale: 0.0625, zeroPoint: 0 };
    const output = { dtype: 'uint8' as const, scale: 1 / 256, zeroPoint: 0 };
    // uint8 output of an int8 input is not the same dtype: the engine maps 8 -> 8 bits, any signedness.
    const table = buildLut(LUT_FUNCTIONS.Sigmoid, input, output);
    expect(table.length).toBe(256);
    expect(table[0]).toBe(128);                 // sigmoid(0) = 0.5 -> 128
    expect(table[127]).toBe(255);               // sigmoid(7.94) = 0.99964 -> 255.9 -> saturates at 255
    expect(table[128]).toBe(0);                 // code -128 -> sigmoid(-8) = 0.000335 -> 0.09 -> 0
    expect(table[16]).toBe(Math.round(256 / (1 + Math.exp(-1))));  // code 16 -> x = 1 -> 187.1 -> 187
    // Through the engine: int8 codes in, table of uint8 out reinterpreted as the output type.
    const codes = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    const plan: NativePlan = {
      tensors: [
        { dtype: 3, shape: [256], offset: 0 },
        { dtype: 2, shape: [256], data: table },
        { dtype: 2, shape: [256], offset: 256 },
      ],
      nodes: [{ op: 'Lut', name: 'sigmoid', inputs: [0, 1], outputs: [2], attrs: {} }],
      inputs: [0], outputs: [2], arenaBytes: 512,
    };
    const s = new (native().NativeSession)(plan, { threads: 1 });
    const [y] = await s.run([codes]);
    s.dispose();
    const out = y as Uint8Array;
    for (let i = 0; i < 256; i++) {
      const x = codes[i] * 0.0625;
      const want = Math.min(255, Math.max(0, Math.round((1 / (1 + Math.exp(-x))) * 256)));
      expect(Math.abs(out[i] - want)).toBeLessThanOrEqual(i === 0 ? 0 : 1);  // ties may differ from Math.round
      expect(out[i]).toBe(table[codes[i] & 255]);
    }
  });

  it('covers 16-bit tables and validates its arguments', () => {
    const t = buildLut(LUT_FUNCTIONS.Tanh, { dtype: 'int16', scale: 1 / 4096, zeroPoint: 0 }, { dtype: 'int16', scale: 1 / 32768, zeroPoint: 0 });
    expect(t.length).toBe(65536);
    expect(t[0]).toBe(0);
    expect(t[4096]).toBe(Math.round(Math.tanh(1) * 32768));
    expect(t[65536 - 4096]).toBe(-Math.round(Math.tanh(1) * 32768));
    expect(() => buildLut(Math.exp, { dtype: 'int8', scale: 0, zeroPoint: 0 }, { dtype: 'int8', scale: 1, zeroPoint: 0 })).toThrow(/Expected a positive finite input scale/);
    expect(() => buildLut(Math.exp, { dtype: 'int8', scale: 1, zeroPoint: 0 }, { dtype: 'int16', scale: 1, zeroPoint: 0 })).toThrow(/same width/);
    expect(() => buildLut(Math.exp, { dtype: 'uint8', scale: 1, zeroPoint: 300 }, { dtype: 'uint8', scale: 1, zeroPoint: 0 })).toThrow(/zero point in \[0, 255\]/);
  });
});
