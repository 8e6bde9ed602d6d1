/** Parsing of CLI option values shared by the subcommands. */
import { NpuqError } from '../errors';

/** "name=1,3,224,224" -> ["name", [1,3,224,224]] */
export function parseShapeOption(s: string): [string, number[]] {
  return parseNamedShape(s, '--input-shape');
}

/** As {@link parseShapeOption}, naming `flag` in errors. */
export function parseNamedShape(s: string, flag: string): [string, number[]] {
  const eq = s.lastIndexOf('=');
  if (eq <= 0) throw new NpuqError('INVALID_ARGUMENT', `Expected NAME=d0,d1,... for ${flag} but received "${s}"`);
  const dims = s.slice(eq + 1).split(/[,x]/).map((d) => Number(d));
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected non-negative integer dims for ${flag} but received "${s}"`);
  }
  return [s.slice(0, eq), dims];
}

/** "name=path" -> ["name", "path"] (the name may contain ':' or '/'; split at the last '='). */
export function parseInputOption(s: string): [string, string] {
  const eq = s.indexOf('=');
  if (eq <= 0 || eq === s.length - 1) throw new NpuqError('INVALID_ARGUMENT', `Expected NAME=FILE.npy for --input but received "${s}"`);
  return [s.slice(0, eq), s.slice(eq + 1)];
}

/** Makes a tensor name usable as a file name: '/' and ':' become '_'. */
export function fileSafe(name: string): string {
  return name.replace(/[/:]/g, '_');
}

/** A commander parser of a finite number option; throws INVALID_ARGUMENT naming the option. */
export function finiteNumber(name: string): (v: string) => number {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new NpuqError('INVALID_ARGUMENT', `Expected a number for ${name} but received "${v}"`);
    return n;
  };
}
