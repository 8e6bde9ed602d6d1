/**
 * lib/quantize/targets/README.md embeds the generated profile table and the inferred-field list; they
 * must equal what the code generates (regenerate by pasting profileTable() / inferredSummary()
 * between the markers).
 */
import * as fs from 'fs';
import * as path from 'path';
import { inferredSummary, profileTable } from '../../lib/quantize';

const README = fs.readFileSync(path.resolve(__dirname, '../../lib/quantize/targets/README.md'), 'utf8');

function between(start: string, end: string): string {
  const a = README.indexOf(start);
  const b = README.indexOf(end);
  expect(a).toBeGreaterThanOrEqual(0);
  expect(b).toBeGreaterThan(a);
  return README.slice(a + start.length, b).trim();
}

test('README profile table equals profileTable()', () => {
  expect(between('<!-- profile-table:start -->', '<!-- profile-table:end -->')).toBe(profileTable());
});

test('README inferred-field list equals inferredSummary()', () => {
  expect(between('<!-- inferred:start -->', '<!-- inferred:end -->')).toBe(inferredSummary());
});

test('the table has one row per profile with all eight columns', () => {
  const rows = profileTable().split('\n').slice(2);
  expect(rows).toHaveLength(23);
  for (const r of rows) expect(r.split(' | ')).toHaveLength(8);
});
