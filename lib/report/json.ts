/**
 * analysis.json: the Analysis object as is (schema npuquant.analysis/1). Infinity and NaN become null
 * (JSON has neither; a null sqnr_db means zero noise), undefined fields are left out. Indented with two
 * spaces, except that arrays of numbers or strings (histogram counts, shapes) stay on one line.
 */
import type { Analysis } from '../analyze/types';

function pretty(v: unknown, indent: string): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every((x) => x === null || typeof x !== 'object')) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
    return `[\n${v.map((x) => inner + pretty(x, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pretty(x, inner)}`).join(',\n')}\n${indent}}`;
}

/** analysis.json's text: valid JSON that parses to the object with non-finite numbers as null. */
export function renderJson(analysis: Analysis): string {
  // The round trip through JSON.stringify applies JSON's own rules (NaN/Infinity → null, undefined
  // dropped, toJSON honoured) before the layout.
  const plain = JSON.parse(JSON.stringify(analysis)) as unknown;
  return `${pretty(plain, '')}\n`;
}
