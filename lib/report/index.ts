/**
 * Reports: every format written from the one Analysis object (schema npuquant.analysis/1).
 *
 * | format | file                               | content                                              |
 * | json   | analysis.json                      | the object as is (non-finite numbers as null)        |
 * | txt    | individual_qnt_error_analysis.txt  | RKNN-Toolkit2 style aligned table                    |
 * | md     | analysis.md                        | XQuant style, worst layers first, explained          |
 * | csv    | analysis.csv                       | one row per layer, every metric, full precision      |
 * | html   | analysis.html                      | self-contained page with SVG charts                  |
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Analysis } from '../analyze/types';
import { NpuqError } from '../errors';
import { describeValue } from '../io/bytes';
import { expectPath, writeFileAtomicSync } from '../io/files';
import { renderCsv } from './csv';
import { renderHtml } from './html';
import { renderJson } from './json';
import { renderMd } from './md';
import { renderTxt } from './txt';

export { renderCsv, CSV_COLUMNS } from './csv';
export { renderHtml } from './html';
export { renderJson } from './json';
export { renderMd } from './md';
export { renderTxt } from './txt';
export { ROUNDING } from './format';
export { compareArrays, DEFAULT_ATOL, DEFAULT_RTOL, type CompareOptions, type CompareResult, type CompareFailure } from './compare';

export type ReportFormat = 'json' | 'txt' | 'md' | 'csv' | 'html';

/** Every format, in the order writeReports writes them. */
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'txt', 'md', 'csv', 'html'];

const RENDER: Record<ReportFormat, (a: Analysis) => string> = {
  json: renderJson, txt: renderTxt, md: renderMd, csv: renderCsv, html: renderHtml,
};

export interface WriteReportsOptions {
  /** The formats to write. Default: all of {@link REPORT_FORMATS}. */
  formats?: ReportFormat[];
  /**
   * Base of the file names: `<baseName>.json|md|csv|html` and `<baseName>_individual_qnt_error_analysis.txt`.
   * Default "analysis", which gives analysis.json, analysis.md, analysis.csv, analysis.html and
   * RKNN's own name individual_qnt_error_analysis.txt.
   */
  baseName?: string;
}

/** The file name of a format for a base name. */
export function reportFileName(format: ReportFormat, baseName = 'analysis'): string {
  if (format === 'txt') return baseName === 'analysis' ? 'individual_qnt_error_analysis.txt' : `${baseName}_individual_qnt_error_analysis.txt`;
  return `${baseName}.${format}`;
}

function checkAnalysis(a: unknown): asserts a is Analysis {
  const o = a as Partial<Analysis> | null;
  if (o === null || typeof o !== 'object' || o.schema !== 'npuquant.analysis/1' || !Array.isArray(o.layers)) {
    throw new TypeError(`Expected an analysis object (schema "npuquant.analysis/1", from analyze()) for writeReports but received ${
      o !== null && typeof o === 'object' && 'schema' in o ? `an object with schema ${JSON.stringify(o.schema)}` : describeValue(a)}`);
  }
}

/**
 * Writes the reports of one analysis into `dir` (created if missing), each file through a temporary
 * file and a rename. Returns the written paths in format order.
 *
 * Errors: TypeError / RangeError for a wrong analysis, format or base name; FILE_WRITE when `dir` or
 * a file cannot be written.
 *
 * @param analysis - The object analyze() returns.
 * @param dir - Output folder.
 * @param opts - Formats and file base name; see {@link WriteReportsOptions}.
 */
export function writeReports(analysis: Analysis, dir: string, opts: WriteReportsOptions = {}): string[] {
  checkAnalysis(analysis);
  expectPath(dir, 'the output folder of writeReports');
  if (opts === null || typeof opts !== 'object') throw new TypeError(`Expected an options object for writeReports but received ${describeValue(opts)}`);
  const formats = opts.formats ?? REPORT_FORMATS;
  if (!Array.isArray(formats) || formats.length === 0) {
    throw new TypeError(`Expected a non-empty array of ${REPORT_FORMATS.join(', ')} for options.formats of writeReports but received ${describeValue(formats)}`);
  }
  for (const f of formats) {
    if (!REPORT_FORMATS.includes(f)) {
      throw new RangeError(`Expected one of ${REPORT_FORMATS.join(', ')} in options.formats of writeReports but received ${describeValue(f)}`);
    }
  }
  const baseName = opts.baseName ?? 'analysis';
  if (typeof baseName !== 'string' || baseName === '' || /[/\\\0]/.test(baseName) || baseName === '.' || baseName === '..') {
    throw new RangeError(`Expected a file name without path separators for options.baseName of writeReports but received ${describeValue(baseName)}`);
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new NpuqError('FILE_WRITE', `Cannot create the report folder "${dir}": ${(err as Error).message}`, { file: dir, cause: err });
  }
  const written: string[] = [];
  for (const f of REPORT_FORMATS.filter((x) => formats.includes(x))) {
    const file = path.join(dir, reportFileName(f, baseName));
    writeFileAtomicSync(file, Buffer.from(RENDER[f](analysis), 'utf8'));
    written.push(file);
  }
  return written;
}
