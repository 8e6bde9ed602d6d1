/**
 * Checks a profile input against PROFILE_SCHEMA, field by field, before anything is merged: the first
 * problem throws NpuqError('INVALID_ARGUMENT') with the field's path, what was expected and what was
 * received, and for unknown keys the closest valid key.
 */
import { NpuqError } from '../errors';
import { supportedOpTypes } from '../ir/ops/registry';
import { PRECISIONS, type Schema } from './schema';
import { closest, describeValue } from './suggest';

const OP_TYPE = /^[A-Z][A-Za-z0-9]*$/;

function fail(message: string): never {
  throw new NpuqError('INVALID_ARGUMENT', message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function expectation(s: Schema): string {
  switch (s.kind) {
    case 'enum': return `one of ${s.values.join(', ')}`;
    case 'number': {
      const noun = s.integer ? 'an integer' : 'a number';
      if (s.min !== undefined && s.max !== undefined) {
        return s.exclusiveMin ? `${noun} in (${s.min}, ${s.max}]` : `${noun} between ${s.min} and ${s.max}`;
      }
      if (s.min !== undefined) return `${noun} ${s.exclusiveMin ? '>' : '>='} ${s.min}`;
      return noun;
    }
    case 'boolean': return 'a boolean';
    case 'string': return 'a string';
    case 'function': return 'a function';
    case 'array': return 'an array';
    case 'object': case 'record': return 'an object';
    case 'oneOf': return s.expected;
  }
}

function mismatch(s: Schema, path: string, v: unknown): never {
  fail(`Expected ${expectation(s)} for ${path} but received ${describeValue(v)}`);
}

function matches(v: unknown, s: Schema): boolean {
  try {
    checkShape(v, s, 'value');
    return true;
  } catch {
    return false;
  }
}

function checkKey(key: string, kind: 'opType' | 'precision', path: string): void {
  if (kind === 'precision') {
    checkShape(key, { kind: 'enum', values: PRECISIONS }, `a key of ${path}`);
    return;
  }
  if (!OP_TYPE.test(key)) {
    const hint = closest(key, supportedOpTypes());
    fail(`Expected an ONNX op type (PascalCase, e.g. 'Conv') as a key of ${path} but received '${key}'` +
      (hint !== undefined ? `; did you mean '${hint}'?` : ''));
  }
}

/**
 * Throws NpuqError('INVALID_ARGUMENT') describing the first place where `value` does not fit
 * `schema`. `path` names the value in messages (`'profile'` for the root).
 */
export function checkShape(value: unknown, schema: Schema, path: string): void {
  switch (schema.kind) {
    case 'enum':
      if (typeof value !== 'string' || !schema.values.includes(value)) mismatch(schema, path, value);
      return;
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) mismatch(schema, path, value);
      const n = value;
      if (schema.integer && !Number.isInteger(n)) mismatch(schema, path, n);
      if (schema.min !== undefined && (schema.exclusiveMin ? n <= schema.min : n < schema.min)) mismatch(schema, path, n);
      if (schema.max !== undefined && n > schema.max) mismatch(schema, path, n);
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') mismatch(schema, path, value);
      return;
    case 'string':
      if (typeof value !== 'string') mismatch(schema, path, value);
      return;
    case 'function':
      if (typeof value !== 'function') mismatch(schema, path, value);
      return;
    case 'oneOf':
      if (!schema.options.some((o) => matches(value, o))) mismatch(schema, path, value);
      return;
    case 'array':
      if (!Array.isArray(value)) mismatch(schema, path, value);
      if (schema.nonEmpty && value.length === 0) fail(`Expected a non-empty array for ${path} but received an empty array`);
      value.forEach((item, i) => checkShape(item, schema.of, `${path}[${i}]`));
      return;
    case 'record':
      if (!isPlainObject(value)) mismatch(schema, path, value);
      for (const [k, v] of Object.entries(value)) {
        checkKey(k, schema.key, path);
        checkShape(v, schema.of, `${path}.${k}`);
      }
      return;
    case 'object': {
      if (!isPlainObject(value)) mismatch(schema, path, value);
      const keys = Object.keys(schema.fields);
      for (const [k, v] of Object.entries(value)) {
        const field = schema.fields[k];
        const at = path === 'profile' ? k : `${path}.${k}`;
        if (field === undefined) {
          const hint = closest(k, keys);
          fail(`Unknown key '${k}' in ${path}; did you mean '${hint ?? ''}'? Valid keys: ${keys.join(', ')}`);
        }
        if (v === undefined) continue;
        checkShape(v, field, at);
      }
      return;
    }
  }
}
