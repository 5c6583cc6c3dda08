/**
 * Every problem a user can cause is an EdgecError: the CLI prints its one-line
 * message (plus an optional hint) and exits with its code, never a stack trace.
 * Exit codes follow design.md: 1 verification failure, 2 bad input or usage.
 */
export class EdgecError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 2, readonly hint?: string) {
    super(message);
    this.name = 'EdgecError';
  }
}

/** Names from a model file are shown at most this long in messages. */
export const DISPLAY_NAME_MAX = 80;
/** No message line is longer than this (a model can put 100k characters in a name). */
export const DISPLAY_LINE_MAX = 2000;

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `s` as terminal-safe text: control characters (newline, ESC of ANSI
 * sequences, NUL, DEL, C1 controls, Unicode line separators and bidi
 * overrides) written as escapes, so model text can neither split a message
 * line nor drive the terminal.
 */
export function escapeForTerminal(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, escapeChar);
}

// \u form above 0x7f: also valid inside a JSON string (JSON.stringify leaves DEL, C1 and U+2028 raw)
function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED_ESCAPES[c] ?? (code < 0x20 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * A report line as printed on stdout: like escapeForTerminal but keeping
 * tabs and line breaks, which report text uses on purpose.
 */
export function escapeOutputText(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, escapeChar);
}

function shorten(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max).join('')}...` : s;
}

/** A model-provided name for a message: escaped and shortened to DISPLAY_NAME_MAX characters. */
export function displayName(name: string, max: number = DISPLAY_NAME_MAX): string {
  return escapeForTerminal(shorten(name, max));
}

/** A whole message line as printed: escaped, and cut if a long name still made it huge. */
export function displayLine(line: string, max: number = DISPLAY_LINE_MAX): string {
  // a quoted name of any length is shortened where it stands, so the reason after it survives
  const names = line.replace(/'([^'\n]{121,})'/g, (_, name: string) => `'${shorten(name, DISPLAY_NAME_MAX)}'`);
  return shorten(escapeForTerminal(names), max);
}

/** "model.onnx: node 'conv1' (Conv): reason" — the shape of every model error. */
export function modelError(file: string, node: { name: string; opType: string } | undefined, reason: string, hint?: string): EdgecError {
  const where = node ? `node '${displayName(node.name)}' (${displayName(node.opType, 40)}): ` : '';
  // The reason may quote other model names raw (tensors, op types): escape and bound it as a whole too.
  return new EdgecError(`${file}: ${where}${displayLine(reason)}`, 2, hint);
}
