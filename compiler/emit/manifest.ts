/**
 * `<name>.edgec.json`: what `edgec verify --from <dir>` needs to check a
 * generated folder without rebuilding it — inputs, outputs and every op's
 * output value (arena offset, physical shape, layout perm, ONNX tensor name,
 * quantization). Written by the emitter next to the C files; deterministic
 * (sorted keys, insertion-ordered ops), so builds stay byte-identical.
 */
import { EdgecError } from '../errors.js';
import type { Op, OpKind, ParamValue, Program, Value, ValueType } from '../ir/program.js';
import type { Plan } from '../plan/types.js';

export const MANIFEST_FORMAT = 1;

interface ManifestValue {
  id: string;
  type: ValueType;
  shape: number[];
  logicalShape: number[];
  perm?: number[];
  scale: number;
  zeroPoint: number;
  role: Value['role'];
  onnxName: string;
  offset: number;
}

interface ManifestOp {
  name: string;
  onnxOp: string;
  kind: OpKind;
  inputs: string[];
  outputs: string[];
  params: Record<string, ParamValue>;
}

export interface Manifest {
  format: number;
  edgec: string;
  name: string;
  source: string;
  inputs: string[];
  outputs: string[];
  values: ManifestValue[];
  ops: ManifestOp[];
  /**
   * Every file of the build, relative to the output folder (the manifest
   * included): what the next build into that folder may replace or remove.
   * Added when the CLI writes the folder (cli/output-folder.ts).
   */
  files?: string[];
  /**
   * A multi-model library's own manifest (`edgec build a.onnx b.onnx`): its
   * models, each described by its own `<app>_<id>.edgec.json`; no ops here.
   */
  models?: { id: string; name: string; source: string; manifest: string; arenaOffset: number; arenaBytes: number }[];
  concurrent?: boolean;
  arenaBytes?: number;
}

function sortedParams(params: Record<string, ParamValue>): Record<string, ParamValue> {
  return Object.fromEntries(Object.keys(params).sort().map((k) => [k, params[k]]));
}

export function buildManifest(program: Program, plan: Plan, version: string, source: string): Manifest {
  const ids = new Set<string>([...program.inputs, ...program.outputs, ...program.ops.flatMap((op) => [...op.inputs, ...op.outputs])]);
  const values = [...program.values.values()].filter((v) => ids.has(v.id)).map((v): ManifestValue => ({
    id: v.id, type: v.type, shape: v.shape, logicalShape: v.logicalShape, ...(v.perm ? { perm: v.perm } : {}),
    scale: v.scale, zeroPoint: v.zeroPoint, role: v.role, onnxName: v.onnxName, offset: plan.placements.get(v.id)?.offset ?? 0,
  }));
  const ops = program.ops.map((op): ManifestOp => ({ name: op.name, onnxOp: op.onnxOp, kind: op.kind, inputs: op.inputs, outputs: op.outputs, params: sortedParams(op.params) }));
  return { format: MANIFEST_FORMAT, edgec: version, name: program.name, source, inputs: program.inputs, outputs: program.outputs, values, ops };
}

export function manifestJson(m: Manifest): string {
  return `${JSON.stringify(m, null, 1)}\n`;
}

export const manifestFileName = (name: string): string => `${name}.edgec.json`;

/** The manifest text with the build's file list recorded. */
export function withManifestFileList(text: string, files: string[]): string {
  return manifestJson({ ...(JSON.parse(text) as Manifest), files });
}

/** The file list of an edgec manifest, or undefined for anything else (not JSON, other format, no list). */
export function manifestFileList(text: string): string[] | undefined {
  let m: unknown;
  try { m = JSON.parse(text); } catch { return undefined; }
  if (typeof m !== 'object' || m === null) return undefined;
  const { format, files } = m as { format?: unknown; files?: unknown };
  if (format !== MANIFEST_FORMAT || !Array.isArray(files) || !files.every((f): f is string => typeof f === 'string')) return undefined;
  return files;
}

/**
 * Rebuilds the Program view verify needs (values, ops, inputs, outputs) from
 * a manifest. Constant arrays are not in the manifest: they live in the C
 * files, which are what is being checked.
 */
export function programFromManifest(text: string, file: string): Program {
  let m: Manifest;
  try { m = JSON.parse(text) as Manifest; } catch { throw new EdgecError(`${file}: not a valid edgec manifest (bad JSON)`, 2); }
  if (m.format !== MANIFEST_FORMAT || !Array.isArray(m.values) || !Array.isArray(m.ops) || typeof m.name !== 'string') {
    throw new EdgecError(`${file}: not an edgec manifest of format ${MANIFEST_FORMAT}`, 2, 'rebuild the folder with this edgec version');
  }
  if (Array.isArray(m.models)) {
    const names = m.models.map((x) => (typeof x?.name === 'string' ? x.name : '?')).join(', ');
    throw new EdgecError(`${file}: a library of ${m.models.length} models (${names}); verify one model at a time`, 2, 'edgec verify <model file> --from <folder> --name <its name in the library>');
  }
  const values = new Map<string, Value>(m.values.map((v) => [v.id, {
    id: v.id, type: v.type, shape: v.shape, logicalShape: v.logicalShape, perm: v.perm, scale: v.scale, zeroPoint: v.zeroPoint, role: v.role, onnxName: v.onnxName,
  }]));
  const ops: Op[] = m.ops.map((o) => ({ kind: o.kind, name: o.name, onnxOp: o.onnxOp, inputs: o.inputs, outputs: o.outputs, params: o.params, consts: {}, macs: 0 }));
  for (const id of [...m.inputs, ...m.outputs, ...ops.flatMap((o) => o.outputs)]) {
    if (!values.has(id)) throw new EdgecError(`${file}: manifest names value '${id}' but does not describe it`, 2);
  }
  return { name: m.name, values, consts: new Map(), ops, inputs: m.inputs, outputs: m.outputs };
}
