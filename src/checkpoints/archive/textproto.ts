import { CheckpointFormatError } from '../errors';

/**
 * A reader for protobuf's text format (`*.textproto`, `*.pbtxt`), as deeplab2 writes
 * its experiment configs. protobufjs parses `.proto` schemas and the binary format, not
 * text-format messages, and deeplab2's schema is not shipped with a checkpoint; so this
 * reads the format without a schema: nested messages (`name { ... }` or `name < ... >`,
 * the colon optional), scalars (strings with C escapes, adjacent strings joined;
 * numbers; identifiers for enums and booleans), repeated fields (the field again, or
 * `name: [a, b]`), `#` comments. Every field maps to the list of its values in order;
 * what a field means is the caller's business (deeplab2-config.ts).
 */

export type TextValue = string | number | boolean | TextMessage;

export interface TextMessage {
  readonly fields: ReadonlyMap<string, readonly TextValue[]>;
}

/** The text is not in protobuf's text format; names the line and column. */
export class TextProtoSyntaxError extends CheckpointFormatError {
  override readonly name = 'TextProtoSyntaxError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly column: number,
    detail: string,
  ) {
    super(`${source}, line ${line} column ${column}: ${detail} (not a valid protobuf text-format config).`);
  }
}

type Token =
  | { kind: 'ident'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'number'; value: number; at: number }
  | { kind: 'symbol'; text: string; at: number }
  | { kind: 'end'; at: number };

export function parseTextProto(text: string, source = 'the config'): TextMessage {
  const tokens = tokenize(text, source);
  let i = 0;
  const fail = (token: Token, detail: string): never => {
    const { line, column } = position(text, token.at);
    throw new TextProtoSyntaxError(source, line, column, detail);
  };
  const peek = () => tokens[i];
  const isSymbol = (token: Token, symbol: string) => token.kind === 'symbol' && token.text === symbol;

  const parseMessage = (close: string | undefined): TextMessage => {
    const fields = new Map<string, TextValue[]>();
    for (;;) {
      const token = tokens[i++];
      if (close === undefined ? token.kind === 'end' : isSymbol(token, close)) return { fields };
      if (token.kind !== 'ident') fail(token, token.kind === 'end' ? `missing "${close}"` : 'expected a field name');
      const name = (token as { text: string }).text;
      const values = fields.get(name) ?? [];
      fields.set(name, values);
      const colon = isSymbol(peek(), ':');
      if (colon) i++;
      const next = peek();
      if (isSymbol(next, '{') || isSymbol(next, '<')) {
        i++;
        values.push(parseMessage(isSymbol(next, '{') ? '}' : '>'));
      } else if (!colon) {
        fail(next, `expected ":" or "{" after "${name}"`);
      } else if (isSymbol(next, '[')) {
        i++;
        while (!isSymbol(peek(), ']')) {
          values.push(parseValue());
          if (isSymbol(peek(), ',')) i++;
          else if (!isSymbol(peek(), ']')) fail(peek(), 'expected "," or "]"');
        }
        i++;
      } else {
        values.push(parseValue());
      }
      if (isSymbol(peek(), ',') || isSymbol(peek(), ';')) i++;
    }
  };

  const parseValue = (): TextValue => {
    const token = tokens[i++];
    if (isSymbol(token, '{') || isSymbol(token, '<')) return parseMessage(isSymbol(token, '{') ? '}' : '>');
    if (token.kind === 'number') return token.value;
    if (token.kind === 'string') {
      let joined = token.text;
      for (let next = peek(); next.kind === 'string'; next = peek()) {
        joined += next.text;
        i++;
      }
      return joined;
    }
    if (isSymbol(token, '-') && peek().kind === 'ident') {
      const name = (tokens[i++] as { text: string }).text.toLowerCase();
      if (name === 'inf' || name === 'infinity') return -Infinity;
    }
    if (token.kind === 'ident') {
      const lower = token.text.toLowerCase();
      if (token.text === 'true' || token.text === 'True' || token.text === 't') return true;
      if (token.text === 'false' || token.text === 'False' || token.text === 'f') return false;
      if (lower === 'inf' || lower === 'infinity') return Infinity;
      if (lower === 'nan') return NaN;
      return token.text;
    }
    return fail(token, 'expected a value');
  };

  return parseMessage(undefined);
}

const IDENT = /[A-Za-z_][A-Za-z0-9_.]*/y;
const NUMBER = /-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fF]?/y;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?',
};

function tokenize(text: string, source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  const fail = (where: number, detail: string): never => {
    const { line, column } = position(text, where);
    throw new TextProtoSyntaxError(source, line, column, detail);
  };
  while (at < text.length) {
    const c = text[at];
    if (c === '#') {
      const eol = text.indexOf('\n', at);
      at = eol < 0 ? text.length : eol;
    } else if (/\s/.test(c)) {
      at++;
    } else if (c === '"' || c === "'") {
      const start = at;
      let value = '';
      at++;
      while (text[at] !== c) {
        if (at >= text.length || text[at] === '\n') fail(start, 'unterminated string');
        if (text[at] === '\\') {
          const e = text[at + 1];
          const octal = /^[0-7]{1,3}/.exec(text.slice(at + 1, at + 4));
          const hex = /^[xX]([0-9a-fA-F]{1,2})/.exec(text.slice(at + 1, at + 4));
          if (SIMPLE_ESCAPES[e] !== undefined) {
            value += SIMPLE_ESCAPES[e];
            at += 2;
          } else if (octal) {
            value += String.fromCharCode(parseInt(octal[0], 8));
            at += 1 + octal[0].length;
          } else if (hex) {
            value += String.fromCharCode(parseInt(hex[1], 16));
            at += 1 + hex[0].length;
          } else {
            fail(at, `unknown escape "\\${e}"`);
          }
        } else {
          value += text[at++];
        }
      }
      at++;
      tokens.push({ kind: 'string', text: value, at: start });
    } else if (/[-0-9.]/.test(c) && (NUMBER.lastIndex = at, NUMBER.exec(text)) !== null && /[0-9]/.test(text.slice(at, NUMBER.lastIndex))) {
      const raw = text.slice(at, NUMBER.lastIndex);
      const negative = raw.startsWith('-');
      const hex = /^-?0[xX]/.test(raw);
      const magnitude = hex ? parseInt(raw.slice(negative ? 1 : 0), 16) : Math.abs(Number(raw.replace(/[fF]$/, '')));
      const value = negative ? -magnitude : magnitude;
      tokens.push({ kind: 'number', value, at });
      at = NUMBER.lastIndex;
    } else if (/[A-Za-z_]/.test(c)) {
      IDENT.lastIndex = at;
      IDENT.exec(text);
      tokens.push({ kind: 'ident', text: text.slice(at, IDENT.lastIndex), at });
      at = IDENT.lastIndex;
    } else if ('{}<>:[],;-'.includes(c)) {
      tokens.push({ kind: 'symbol', text: c, at });
      at++;
    } else {
      fail(at, `unexpected character "${c}"`);
    }
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

function position(text: string, at: number): { line: number; column: number } {
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}

/** The values of a dotted field path (`evaluator_options.pixel_confidence_threshold`), through every repeated message. */
export function textField(message: TextMessage, path: string): TextValue[] {
  let current: TextValue[] = [message];
  for (const name of path.split('.')) {
    current = current.flatMap((v) => (typeof v === 'object' ? [...(v.fields.get(name) ?? [])] : []));
  }
  return current;
}
