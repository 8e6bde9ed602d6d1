/** Parsers that read the reports back, for the agreement tests. */

/** RFC 4180 parser: quoted fields with doubled quotes, CRLF records; returns rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    if (c === '\n' || c === '\r' || c === '"') throw new Error(`bare ${JSON.stringify(c)} outside quotes at offset ${i}`);
    field += c;
    i++;
  }
  if (field !== '' || row.length) throw new Error('the last record does not end with CRLF');
  return rows;
}

export interface TxtRow {
  flagged: boolean;
  index: number;
  op: string;
  name: string;
  output: string;
  /** individual cos, euc, entire cos, euc as printed. */
  values: [string, string, string, string];
}

/** Reads the layer table of individual_qnt_error_analysis.txt by the column offsets of its header. */
export function parseTxtLayers(text: string): TxtRow[] {
  const lines = text.split('\n');
  const h = lines.findIndex((l) => l.includes('layer_name') && l.includes('individual_error'));
  if (h < 0) throw new Error('no table header');
  const head = lines[h];
  const at = (w: string) => head.indexOf(w);
  const [nameAt, outAt, indAt] = [at('layer_name'), at('output'), at('individual_error')];
  if (!/^-+$/.test(lines[h + 2])) throw new Error('no dash line under the header');
  const rows: TxtRow[] = [];
  for (let i = h + 3; i < lines.length && lines[i] !== ''; i++) {
    const l = lines[i];
    const layer = l.slice(nameAt, outAt).trimEnd();
    const m = /^\[([^\]]*)\] (.*)$/s.exec(layer);
    if (!m) throw new Error(`bad layer cell ${JSON.stringify(layer)}`);
    const nums = l.slice(indAt).trim().split(/\s+/).filter((t) => t !== '|');
    if (nums.length !== 4) throw new Error(`expected 4 values in ${JSON.stringify(l)}`);
    rows.push({
      flagged: l[0] === '!', index: Number(l.slice(1, nameAt)), op: m[1], name: m[2],
      output: l.slice(outAt, indAt).trimEnd(), values: nums as TxtRow['values'],
    });
  }
  return rows;
}

/** Splits a GFM table row into its cells at the pipes not escaped with a backslash. */
export function mdCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  for (let i = 1; i < line.length; i++) {
    if (line[i] === '\\' && line[i + 1] === '|') { cur += '\\|'; i++; continue; }
    if (line[i] === '|') { cells.push(cur.trim()); cur = ''; continue; }
    cur += line[i];
  }
  return cells;
}

/** The rows (cells) of the Markdown table following `heading`. */
export function mdTable(text: string, heading: string): string[][] {
  const lines = text.split('\n');
  let i = lines.indexOf(heading);
  if (i < 0) throw new Error(`no ${heading}`);
  while (!lines[i].startsWith('|')) i++;
  const out: string[][] = [];
  for (; i < lines.length && lines[i].startsWith('|'); i++) out.push(mdCells(lines[i]));
  return out;
}
