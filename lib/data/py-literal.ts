/**
 * A parser for the subset of Python literals found in .npy headers: dicts, tuples, lists, strings
 * (single or double quoted, with escapes), integers (with the Python 2 `L` suffix), floats, True,
 * False and None. The header is `repr()` output, not JSON, so JSON.parse cannot read it.
 */

/** A parsed Python literal: dict → Map, tuple and list → array. */
export type PyValue = string | number | boolean | null | PyValue[] | Map<string | number, PyValue>;

/** Thrown for malformed input; the message gives the position. */
export class PyLiteralError extends Error {}

/** Parses one Python literal occupying all of `text` (surrounding whitespace allowed). */
export function parsePyLiteral(text: string): PyValue {
  let pos = 0;
  const fail = (what: string): never => {
    throw new PyLiteralError(`${what} at character ${pos} of ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}`);
  };
  const ws = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const peek = () => {
    ws();
    return text[pos];
  };
  const expect = (c: string) => {
    if (peek() !== c) fail(`expected '${c}'`);
    pos++;
  };

  const str = (): string => {
    const q = text[pos++];
    let out = '';
    while (pos < text.length && text[pos] !== q) {
      let c = text[pos++];
      if (c === '\\') {
        const e = text[pos++];
        const hex = (len: number) => {
          const h = text.slice(pos, pos + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h)) fail('bad escape');
          pos += len;
          return String.fromCodePoint(parseInt(h, 16));
        };
        switch (e) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          case 'r': c = '\r'; break;
          case '0': c = '\0'; break;
          case 'x': c = hex(2); break;
          case 'u': c = hex(4); break;
          case 'U': c = hex(8); break;
          case '\\': case '\'': case '"': c = e; break;
          case undefined: fail('unterminated string'); break;
          default: c = `\\${e}`;
        }
      }
      out += c;
    }
    if (pos >= text.length) fail('unterminated string');
    pos++;
    return out;
  };

  const seq = (close: string): PyValue[] => {
    const items: PyValue[] = [];
    while (peek() !== close) {
      items.push(value());
      if (peek() === ',') pos++;
      else if (peek() !== close) fail(`expected ',' or '${close}'`);
    }
    pos++;
    return items;
  };

  const value = (): PyValue => {
    const c = peek();
    if (c === undefined) return fail('unexpected end of input');
    if (c === '{') {
      pos++;
      const m = new Map<string | number, PyValue>();
      while (peek() !== '}') {
        const k = value();
        if (typeof k !== 'string' && typeof k !== 'number') fail('dict key must be a string or a number');
        expect(':');
        m.set(k as string | number, value());
        if (peek() === ',') pos++;
        else if (peek() !== '}') fail("expected ',' or '}'");
      }
      pos++;
      return m;
    }
    if (c === '(') { pos++; return seq(')'); }
    if (c === '[') { pos++; return seq(']'); }
    if (c === '\'' || c === '"') return str();
    if ((c === 'b' || c === 'u') && (text[pos + 1] === '\'' || text[pos + 1] === '"')) { pos++; return str(); }
    const m = /^[+-]?(\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)[lL]?|^[A-Za-z_]\w*/.exec(text.slice(pos));
    if (!m) return fail(`unexpected character '${c}'`);
    const tok = m[0];
    if (tok === 'True' || tok === 'False' || tok === 'None') {
      pos += tok.length;
      return tok === 'None' ? null : tok === 'True';
    }
    if (/^[A-Za-z_]/.test(tok)) return fail(`unknown name '${tok}'`);
    pos += tok.length;
    return Number(tok.replace(/[lL]$/, ''));
  };

  const v = value();
  ws();
  if (pos !== text.length) fail('unexpected text after the value');
  return v;
}
