/**
 * 64-bit integer fields of the ONNX protobuf messages. onnx-proto decodes them as `Long` objects
 * (its bundled protobufjs 6 with the `long` package) or as plain numbers; both are accepted here.
 * For writing, a plain `{ low, high, unsigned }` object is produced, which protobufjs' writer takes
 * like a Long, so that no particular `Long` class has to be imported.
 */

/** A decoded 64-bit field value. */
export type LongLike = number | { low: number; high: number; unsigned?: boolean };

const TWO_32 = 4294967296;

/** The value as a JS number (exact up to 2^53; larger values are rounded to the nearest double). */
export function longToNumber(v: LongLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  const high = v.unsigned ? v.high >>> 0 : v.high | 0;
  return high * TWO_32 + (v.low >>> 0);
}

/** The value as a bigint, read as signed or unsigned 64-bit. */
export function longToBigInt(v: LongLike | null | undefined, unsigned: boolean): bigint {
  if (v === null || v === undefined) return 0n;
  let b: bigint;
  if (typeof v === 'number') b = BigInt(Math.trunc(v));
  else b = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return unsigned ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b);
}

/** A bigint as a Long-like value for the protobufjs writer (two's complement 64-bit). */
export function bigIntToLong(b: bigint, unsigned = false): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, b);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned };
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * A JS number as a signed 64-bit Long-like value, saturating at INT64_MIN/INT64_MAX (so that, for
 * example, Slice's `ends = 9223372036854775807`, read as 2^63, is written back as INT64_MAX
 * rather than wrapping to INT64_MIN). Non-integers are truncated.
 */
export function numberToLong(n: number): { low: number; high: number; unsigned: boolean } {
  if (Number.isNaN(n)) return bigIntToLong(0n);
  if (n >= 9223372036854775807) return bigIntToLong(INT64_MAX);
  if (n <= -9223372036854775808) return bigIntToLong(INT64_MIN);
  return bigIntToLong(BigInt(Math.trunc(n)));
}
