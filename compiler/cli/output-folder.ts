/**
 * Writing a build into its output folder without ever losing a user's file:
 * everything is written to a temporary folder first (next to the target, or
 * inside it when it exists) and then moved into place. Files a previous
 * edgec build wrote there — the ones its manifest (`<name>.edgec.json`,
 * compiler/emit/manifest.ts) lists — are replaced or removed; a file edgec
 * did not write is never overwritten (the build is refused) and other files
 * are left alone with a note. The manifest is moved last, so a folder whose
 * manifest is current holds the complete build.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { EdgecError } from '../errors.js';
import { manifestFileList, withManifestFileList } from '../emit/manifest.js';

export interface OutputFile { path: string; contents: string | Uint8Array }

const TMP_PREFIX = '.edgec-tmp-';
/** Folders deeper than this are not searched for earlier manifests or foreign files. */
const WALK_DEPTH = 4;

const FS_REASONS: Record<string, string> = {
  EEXIST: 'already exists', ENOTDIR: 'a part of the path is a file, not a folder', EACCES: 'permission denied', EPERM: 'operation not permitted',
  ENAMETOOLONG: 'name too long', ENOENT: 'no such file or folder', EROFS: 'read-only file system', ENOSPC: 'no space left on device',
  EISDIR: 'is a folder', EDQUOT: 'disk quota exceeded', ELOOP: 'too many symbolic links', EBUSY: 'busy', EXDEV: 'on another device',
  EINVAL: 'invalid path for this file system', EMFILE: 'too many open files', EIO: 'input/output error',
};

interface SystemError { code: string; path?: string; dest?: string; syscall?: string }

function isSystemError(err: unknown): err is SystemError {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' && /^E[A-Z]+$/.test((err as { code: string }).code);
}

/** A file-system error as the one line users see ("<path>: <reason>"), or undefined for anything else. */
export function fileSystemError(err: unknown, fallbackPath?: string): EdgecError | undefined {
  if (!isSystemError(err)) return undefined;
  // a rename names its destination: the user's path, not our temporary one
  const path = err.dest || err.path || fallbackPath || '(an empty path)';
  const reason = FS_REASONS[err.code] ?? `${err.syscall ?? 'file operation'} failed`;
  return new EdgecError(`${path}: ${reason} (${err.code})`, 2);
}

/** Runs `fn`, turning a file-system error into a one-line EdgecError. */
export function withFsErrors<T>(fn: () => T, fallbackPath?: string): T {
  try {
    return fn();
  } catch (err) {
    throw fileSystemError(err, fallbackPath) ?? err;
  }
}

/**
 * mkdir -p without `recursive: true` (which never returns for paths under
 * /proc on Linux): creates each missing level, refusing a file in the way.
 */
export function ensureFolder(path: string): void {
  const missing: string[] = [];
  let p = resolve(path);
  while (!existsSync(p)) {
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (existsSync(p) && !statSync(p).isDirectory()) throw new EdgecError(`${p}: exists and is not a folder`, 2);
  for (const m of missing) withFsErrors(() => mkdirSync(m), m);
}

/** A relative path that stays inside its folder (manifests are files users can edit). */
function isContained(rel: string): boolean {
  const n = normalize(rel);
  return !isAbsolute(n) && n !== '..' && !n.startsWith(`..${sep}`) && n !== '.' && n !== '';
}

function walkFiles(root: string, depth = WALK_DEPTH, prefix = ''): string[] {
  const out: string[] = [];
  let entries: string[];
  try { entries = readdirSync(join(root, prefix)).sort(); } catch { return out; }
  for (const e of entries) {
    const rel = prefix ? join(prefix, e) : e;
    if (e.startsWith(TMP_PREFIX)) continue;
    let st;
    try { st = lstatSync(join(root, rel)); } catch { continue; }
    if (st.isDirectory()) { if (depth > 0) out.push(...walkFiles(root, depth - 1, rel)); } else out.push(rel);
  }
  return out;
}

/** Files earlier edgec builds wrote into `target`: the union of the file lists of the manifests found there. */
export function previousBuildFiles(target: string): Set<string> {
  const files = new Set<string>();
  for (const rel of walkFiles(target).filter((f) => f.endsWith('.edgec.json'))) {
    let text: string;
    try { text = readFileSync(join(target, rel), 'utf8'); } catch { continue; }
    const list = manifestFileList(text);
    // a manifest speaks for its folder only when it lists itself where it is
    if (!list || !list.includes(rel.split(sep).join('/'))) continue;
    for (const f of list) if (isContained(f)) files.add(normalize(f));
  }
  return files;
}

function removeEmptyParents(target: string, rel: string): void {
  for (let d = dirname(rel); d !== '.' && d !== ''; d = dirname(d)) {
    try { if (readdirSync(join(target, d)).length > 0) return; rmdirSync(join(target, d)); } catch { return; }
  }
}

export interface WriteResult { removed: string[]; foreign: string[] }

/**
 * Writes `files` (paths relative to `target`; `manifestPath` is one of them)
 * as one build. Throws a one-line EdgecError, before anything in `target`
 * changes, when a file to write exists and no edgec manifest there lists it.
 */
export function writeOutputFolder(target: string, files: OutputFile[], manifestPath: string): WriteResult {
  const exists = existsSync(target);
  if (exists && !statSync(target).isDirectory()) throw new EdgecError(`-o ${target}: exists and is not a folder`, 2, 'give a folder (new or from an earlier edgec build)');
  const paths = files.map((f) => normalize(f.path));
  const previous = exists ? previousBuildFiles(target) : new Set<string>();
  if (exists) {
    const clash = paths.find((p) => existsSync(join(target, p)) && !previous.has(p));
    if (clash) throw new EdgecError(`${join(target, clash)}: exists and was not written by edgec; not overwriting it`, 2, 'choose another -o folder, or move the file away');
  }
  const parent = exists ? target : dirname(target);
  if (!exists) ensureFolder(parent);
  let tmp: string;
  try {
    tmp = mkdtempSync(join(parent, TMP_PREFIX));
  } catch (err) {
    const e = fileSystemError(err, target);
    throw e ? new EdgecError(`-o ${target}: cannot create the output folder (${e.message.replace(/^.*: /, '')})`, 2) : err;
  }
  const list = paths.map((p) => p.split(sep).join('/'));
  try {
    for (const f of files) {
      const dest = join(tmp, f.path);
      withFsErrors(() => {
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, normalize(f.path) === normalize(manifestPath) && typeof f.contents === 'string' ? withManifestFileList(f.contents, list) : f.contents);
      }, dest);
    }
    if (!exists) {
      withFsErrors(() => renameSync(tmp, target), target);
      return { removed: [], foreign: [] };
    }
    const ordered = [...paths.filter((p) => p !== normalize(manifestPath)), normalize(manifestPath)];
    const fresh = new Set(paths);
    const removed = [...previous].filter((p) => !fresh.has(p) && existsSync(join(target, p)) && lstatSync(join(target, p)).isFile());
    for (const p of removed) { withFsErrors(() => unlinkSync(join(target, p)), join(target, p)); removeEmptyParents(target, p); }
    for (const p of ordered) {
      withFsErrors(() => {
        mkdirSync(dirname(join(target, p)), { recursive: true });
        renameSync(join(tmp, p), join(target, p));
      }, join(target, p));
    }
    const foreign = walkFiles(target).filter((p) => !fresh.has(p));
    return { removed, foreign };
  } finally {
    if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
  }
}
