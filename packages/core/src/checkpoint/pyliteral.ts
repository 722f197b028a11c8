/**
 * A tiny parser for the Python literal that forms a .npy header, e.g.
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
 * Handles dicts, tuples, lists, quoted strings, integers (with py2 `L`), True/False/None. Never evals.
 */

export type PyValue = string | number | boolean | null | PyValue[] | PyDict;
export interface PyDict {
  [key: string]: PyValue;
}

export class PyLiteralError extends Error {}

const MAX_DEPTH = 32;

export function parsePyLiteral(text: string): PyValue {
  let pos = 0;

  const fail = (msg: string): never => {
    throw new PyLiteralError(`${msg} at character ${pos}`);
  };

  const skipWs = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };

  const parseString = (): string => {
    // Optional u/b/r-less prefixes as written by old numpy versions under Python 2.
    if (text[pos] === 'u' || text[pos] === 'b' || text[pos] === 'U' || text[pos] === 'B') pos++;
    const quote = text[pos];
    if (quote !== "'" && quote !== '"') fail('expected a quoted string');
    pos++;
    let out = '';
    while (true) {
      if (pos >= text.length) fail('unterminated string');
      const c = text[pos++];
      if (c === quote) return out;
      if (c === '\n') fail('newline inside string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      if (pos >= text.length) fail('unterminated escape');
      const e = text[pos++];
      const simple: Record<string, string> = {
        n: '\n',
        t: '\t',
        r: '\r',
        '0': '\0',
        '\\': '\\',
        "'": "'",
        '"': '"',
      };
      if (e in simple) out += simple[e];
      else if (e === 'x') {
        const hex = text.slice(pos, pos + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail('bad \\x escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        pos += 2;
      } else out += '\\' + e;
    }
  };

  const parseValue = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    skipWs();
    if (pos >= text.length) fail('unexpected end of header');
    const c = text[pos];
    if (c === '{') {
      pos++;
      const obj: PyDict = Object.create(null);
      while (true) {
        skipWs();
        if (text[pos] === '}') {
          pos++;
          return obj;
        }
        const key = parseValue(depth + 1);
        if (typeof key !== 'string') fail('dict keys must be strings');
        skipWs();
        if (text[pos] !== ':') fail("expected ':'");
        pos++;
        obj[key as string] = parseValue(depth + 1);
        skipWs();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== '}') fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      pos++;
      const items: PyValue[] = [];
      while (true) {
        skipWs();
        if (text[pos] === close) {
          pos++;
          return items;
        }
        items.push(parseValue(depth + 1));
        skipWs();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"' || (/[uUbB]/.test(c) && /['"]/.test(text[pos + 1] ?? '')))
      return parseString();
    const num = /^[-+]?\d+[lL]?/.exec(text.slice(pos, pos + 40));
    if (num) {
      pos += num[0].length;
      if (/^[.eExXjJ_\d]/.test(text[pos] ?? '')) fail('only plain integers are supported');
      const v = Number(num[0].replace(/[lL]$/, ''));
      if (!Number.isSafeInteger(v)) fail(`integer ${num[0]} is too large`);
      return v;
    }
    for (const [word, value] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const) {
      if (text.startsWith(word, pos) && !/\w/.test(text[pos + word.length] ?? '')) {
        pos += word.length;
        return value;
      }
    }
    return fail('unexpected token');
  };

  const value = parseValue(0);
  skipWs();
  if (pos !== text.length) fail('unexpected text after the literal');
  return value;
}
