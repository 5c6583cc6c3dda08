/**
 * The one place where a string that came from a model file (tensor, node and
 * graph names, the model's file name) becomes C text. A model file is
 * untrusted: nothing it says may end a comment, a string literal or a line,
 * form a trigraph, or read as an identifier we did not choose.
 *
 *  - identifiers: [A-Za-z_][A-Za-z0-9_]*, not a C keyword, at most
 *    C_IDENTIFIER_MAX characters (long names keep a hash of the full name, so
 *    two long names stay distinct), made unique by UniqueCNames.
 *  - string literals: the name's UTF-8 bytes, byte for byte; everything that
 *    is not printable ASCII (and `"`, `\`, `?`) written as a 3-digit octal
 *    escape, so no trigraph, newline or NUL can appear in the source.
 *    Names longer than C99's 4095-character literal limit are truncated.
 *  - comments: the same escaping, shortened, with `*` + `/` and `/` + `*` broken
 *    apart, so a name can neither close the comment nor trip -Wcomment.
 */
import { createHash } from 'node:crypto';

/** C99 guarantees 63 significant characters for internal identifiers. */
export const C_IDENTIFIER_MAX = 63;
/** C99 5.2.4.1: a string literal of up to 4095 characters must be accepted. */
export const C_STRING_MAX_BYTES = 4095;
/** Names in comments are for people; longer ones are cut with an ellipsis. */
export const COMMENT_NAME_MAX = 80;

export const C_KEYWORDS: ReadonlySet<string> = new Set([
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else', 'enum', 'extern', 'float', 'for',
  'goto', 'if', 'inline', 'int', 'long', 'register', 'restrict', 'return', 'short', 'signed', 'sizeof', 'static', 'struct',
  'switch', 'typedef', 'union', 'unsigned', 'void', 'volatile', 'while', '_Bool', '_Complex', '_Imaginary',
  // C11 / C23 and C++ keywords: the generated headers are also included from C++ and newer C
  'alignas', 'alignof', 'bool', 'constexpr', 'false', 'nullptr', 'static_assert', 'thread_local', 'true', 'typeof',
  'class', 'delete', 'new', 'namespace', 'operator', 'private', 'protected', 'public', 'template', 'this', 'throw', 'try',
  'catch', 'virtual', 'friend', 'mutable', 'explicit', 'export', 'using', 'typename',
]);

function shortHash(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 8);
}

/**
 * A C identifier for `raw`: invalid characters become `_`, a leading digit
 * gets a `v` prefix, a keyword gets a `_` suffix, an over-long result keeps
 * its head plus a hash of the whole name. Deterministic; not yet unique.
 */
export function cIdentifier(raw: string, maxLength: number = C_IDENTIFIER_MAX): string {
  let id = raw.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, 'v') || 'v';
  if (C_KEYWORDS.has(id)) id = `${id}_`;
  if (id.length > maxLength) id = `${id.slice(0, maxLength - 9)}_${shortHash(raw)}`;
  return id;
}

/**
 * Hands out identifiers that are unique among themselves: the first name to
 * sanitise to `x` gets `x`, later ones `x_1`, `x_2`, … in call order (so the
 * same model always gets the same names).
 */
export class UniqueCNames {
  private readonly used = new Set<string>();

  /** `reserved`: ids never handed out (names the generated code already uses). */
  constructor(private readonly reserved: (id: string) => boolean = () => false) {}

  take(raw: string, maxLength: number = C_IDENTIFIER_MAX): string {
    const base = cIdentifier(raw, maxLength - 6);
    let id = base;
    for (let i = 1; this.used.has(id) || this.reserved(id); i++) {
      if (i > 1_000_000) throw new Error(`internal: no free C identifier for '${base}'`);
      id = `${base}_${i}`;
    }
    this.used.add(id);
    return id;
  }
}

function isPlainAscii(byte: number): boolean {
  return byte >= 0x20 && byte < 0x7f && byte !== 0x22 /* " */ && byte !== 0x5c /* \ */ && byte !== 0x3f /* ? (trigraphs) */;
}

/** UTF-8 bytes, cut at a character boundary so at most `maxBytes` remain. */
function utf8Prefix(s: string, maxBytes: number): Uint8Array {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += isPlainAscii(b) ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`;
  return out;
}

/**
 * The body of a C string literal (without the quotes) whose bytes are the
 * UTF-8 bytes of `s`, exactly, when `s` fits C99's literal limit.
 */
export function cStringBody(s: string, maxBytes: number = C_STRING_MAX_BYTES): string {
  return escapeBytes(utf8Prefix(s, maxBytes));
}

/** `"…"`: a complete C string literal for `s` (see cStringBody). */
export function cStringLiteral(s: string, maxBytes: number = C_STRING_MAX_BYTES): string {
  return `"${cStringBody(s, maxBytes)}"`;
}

/** Breaks every comment opener and closer, wherever it came from. */
function defuseCommentMarkers(s: string): string {
  return s.replace(/\*\//g, '*\\/').replace(/\/\*/g, '/\\*');
}

/**
 * Text safe inside a C block comment: escaped as in a literal, cut to
 * `max` characters, with comment markers broken apart.
 */
export function cCommentText(s: string, max: number = COMMENT_NAME_MAX): string {
  const chars = [...s];
  const cut = chars.length > max ? `${chars.slice(0, max).join('')}...` : s;
  let out = '';
  for (const b of Buffer.from(cut, 'utf8')) out += b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : b === 0x5c ? '\\\\' : `\\${b.toString(8).padStart(3, '0')}`;
  // no trigraph (`??x`) either: -Wtrigraphs, and `??/` before a line end splices lines
  while (out.includes('??')) out = out.replace(/\?\?/g, '?\\?');
  return defuseCommentMarkers(out);
}

/**
 * Suffixes of `<name>_…` symbols the templates define themselves (the arena,
 * tensor tables, entry points, blob and selftest symbols): a value or weight
 * id must not be one of them, or `<name>_<id>` would be defined twice.
 */
export function isGeneratedSymbolSuffix(id: string): boolean {
  // exact names only: `<id>_<n>` must never be reserved, or UniqueCNames.take would look forever
  return /^(arena|inputs?|outputs?|invoke|bind_weights|fingerprint|weights_blob|weights|selftest|selftest_copy|selftest_diff_(f32|s8|u8)|selftest_(in|out)\d+)$/i.test(id);
}

/**
 * The ids of the models of a multi-model build (`edgec build a.onnx b.onnx
 * --name app` gives `app_<id>_invoke()`), from their files' base names: the
 * extension dropped, lower case (the ids also become macro and file names,
 * which must stay distinct on case-insensitive file systems), every run of
 * characters outside [a-z0-9] one `_`, none leading or trailing (so
 * `<app>_<id>_weights` never holds the reserved `__`), cut to `maxLength`
 * (keeping a hash of the whole name), and `_2`, `_3`, … appended, in order,
 * to repeats.
 */
export function modelIdentifiers(baseNames: string[], maxLength: number): string[] {
  const used = new Set<string>();
  return baseNames.map((raw) => {
    const stem = raw.replace(/\.(onnx|tflite)$/i, '');
    let id = stem.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'model';
    const room = maxLength - 3; // for a `_<n>` suffix below 100
    if (id.length > room) {
      const head = id.slice(0, room - 9).replace(/_+$/, '');
      id = head ? `${head}_${shortHash(raw)}` : `m${shortHash(raw)}`;
    }
    let unique = id;
    for (let n = 2; used.has(unique); n++) unique = `${id}_${n}`;
    used.add(unique);
    return unique;
  });
}
