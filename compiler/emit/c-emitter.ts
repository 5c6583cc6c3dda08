/**
 * Renders the generated sources: <name>.h, <name>.c (a straight-line invoke
 * with literal arena offsets), <name>_weights.h/.c (const arrays) and the
 * runtime files the model uses. Output is a pure function of the program and
 * plan, so the same model always gives byte-identical files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { valueBytes, type ConstArray, type Program, type Value } from '../ir/program.js';
import type { Plan } from '../plan/types.js';
import type { Backend } from '../backends/index.js';
import type { Board } from '../boards.js';
import { ARENA_ALIGNMENT, kernelScratchId } from '../plan/program.js';
import { alignUp } from '../plan/lifetimes.js';
import type { EmitEnv } from '../ops/types.js';
import { runtimeDir, templatesDir } from './paths.js';
import { cCommentText, cStringLiteral } from './c-names.js';
import { cFloat } from '../ops/quantize.js';
import { buildManifest, manifestFileName, manifestJson } from './manifest.js';
import { BLOB_RUNTIME_HEADERS, BLOB_RUNTIME_SOURCES, finishBlob, planBlob, type BlobEmission, type WeightsMode } from '../update/emit-blob.js';

import { shareRepeatedParams } from './shared-params.js';

export const EDGEC_VERSION = '0.1.0';

export interface GeneratedFile { path: string; contents: string }

const templateCache = new Map<string, Handlebars.TemplateDelegate>();

function template(relPath: string): Handlebars.TemplateDelegate {
  let t = templateCache.get(relPath);
  if (!t) {
    t = Handlebars.compile(readFileSync(join(templatesDir(), relPath), 'utf8'), { noEscape: true, strict: true });
    templateCache.set(relPath, t);
  }
  return t;
}

const C_TYPES: Record<Value['type'], string> = { int8: 'EDGEC_INT8', uint8: 'EDGEC_UINT8', int16: 'EDGEC_INT16', int32: 'EDGEC_INT32', float32: 'EDGEC_FLOAT32' };

/**
 * What dims[] of a model input or output means: the order its data is laid
 * out in. Channels-first inputs built with `--input-layout nhwc` are exposed
 * channels-last (their perm is not the identity); everything else keeps the
 * model's declared order (outputs are copied back to it).
 */
function dimsNote(v: Value): string {
  const perm = v.perm ?? [];
  const identity = perm.every((p, i) => p === i);
  if (identity || v.role !== 'input') return 'the model\'s declared shape and order, row-major';
  const declared = new Array<number>(perm.length);
  perm.forEach((axis, i) => { declared[axis] = v.shape[i]!; });
  return `channels-last (--input-layout nhwc), row-major; the model declares [${declared.join(', ')}]`;
}

function tensorView(v: Value, plan: Plan, arenaBase: number): Record<string, unknown> {
  const placement = plan.placements.get(v.id);
  const quantized = v.type === 'int8' || v.type === 'uint8' || v.type === 'int16';
  const bytes = valueBytes(v);
  return {
    // the model's name for the tensor: escaped for the string literal (byte for byte), shortened for comments
    nameLiteral: cStringLiteral(v.onnxName), nameComment: cCommentText(v.onnxName), typeName: v.type, dims: v.logicalShape.join(', '), rank: v.logicalShape.length,
    dimsInit: v.logicalShape.length ? v.logicalShape.join(', ') : '0', cType: C_TYPES[v.type], quantized,
    scale: v.scale, zeroPoint: v.zeroPoint, scaleLiteral: quantized ? cFloat(v.scale) : '0.0f', bytes, offset: arenaBase + (placement?.offset ?? 0),
    dimsNote: dimsNote(v),
  };
}

/** One element as a C literal: floats with 9 significant digits (float32 round-trips exactly), INT32_MIN spelled without overflow. */
function cElement(v: number, isFloat: boolean): string {
  if (isFloat) return cFloat(v);
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}

/** An int64 element (16x8 biases): INT64_C keeps the literal 64-bit, INT64_MIN spelled without overflow. */
function cInt64Element(v: bigint): string {
  return v === -(2n ** 63n) ? '(-INT64_C(9223372036854775807) - 1)' : `INT64_C(${v})`;
}

function formatData(data: ConstArray['data']): string {
  const isFloat = data instanceof Float32Array;
  const perLine = data instanceof Int8Array ? 24 : isFloat || data instanceof BigInt64Array ? 6 : data instanceof Int16Array ? 12 : 8;
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += perLine) {
    const row = data instanceof BigInt64Array ? Array.from(data.subarray(i, i + perLine), cInt64Element)
      : Array.from(data.subarray(i, i + perLine), (v) => cElement(v, isFloat));
    lines.push(`  ${row.join(', ')},`);
  }
  return lines.join('\n');
}

/** `data` followed by `pad` zero elements, same element type. */
function padded(data: ConstArray['data'], pad: number): ConstArray['data'] {
  if (pad === 0) return data;
  const out = new (data.constructor as new (n: number) => ConstArray['data'])(data.length + pad);
  (out as Int8Array).set(data as Int8Array); // same element type as `data` (bigint or number)
  return out;
}

/** C element type of a const array. */
export function constCType(type: ConstArray['type']): string {
  return type === 'float32' ? 'float' : `${type}_t`;
}

/** Arena bytes the --stateful state keeps between invokes (the state inputs, aligned as the planner places them). */
export function persistentBytes(program: Program): number {
  return (program.state ?? []).reduce((a, s) => a + alignUp(s.bytes, ARENA_ALIGNMENT), 0);
}

/** --stateful: where reset() writes the zero points and where invoke() copies each new state from. */
function stateView(program: Program, plan: Plan, arenaBase: number): { state: Record<string, unknown>[] | false; persistentBytes: number } {
  const state = program.state ?? [];
  const at = (id: string): number => {
    const p = plan.placements.get(id);
    if (!p) throw new Error(`internal: state value '${id}' has no placement`);
    return arenaBase + p.offset;
  };
  return {
    state: state.length === 0 ? false : state.map((s) => ({
      inputOffset: at(s.input), outputOffset: at(s.output), bytes: s.bytes, zeroPoint: s.zeroPoint,
      inputComment: cCommentText(s.onnxInput), outputComment: cCommentText(s.onnxOutput),
    })),
    persistentBytes: persistentBytes(program),
  };
}

export interface EmitResult {
  files: GeneratedFile[];
  runtimeSources: string[];
  weightsBytes: number;
  /** `--weights blob`: the contents of <name>.weights (binary, written beside the sources). */
  weightsBlob?: Uint8Array;
}

/** The board's default placement attributes (boards/*.json `attributes`), for the templates. */
function placementView(board: Board | undefined): Record<string, string> {
  const a = board?.attributes;
  return { arenaAttr: a?.arena ?? '', weightsAttr: a?.weights ?? '', attrInclude: a?.include ?? '', attrGuard: a?.guard ?? '' };
}

/**
 * One model of a multi-model library (compiler/multi-model.ts): instead of
 * its own static arena, the model uses bytes [offset, offset + its arena) of
 * the library's one arena `symbol`, defined in `<app>.c`. Offsets in the
 * generated code stay literal: the region's offset is added to each.
 */
export interface SharedArenaRegion {
  /** The library's --name (its header `<app>.h` declares the arena's size). */
  app: string;
  /** The C array of the shared arena, `<app>_arena`. */
  symbol: string;
  /** Where this model's region starts (0 unless --concurrent); a multiple of ARENA_ALIGNMENT. */
  offset: number;
  /** --concurrent: every model has its own region, so models may run at the same time. */
  concurrent: boolean;
}

export function emitC(program: Program, plan: Plan, backend: Backend, source: string, board?: Board, weights: WeightsMode = 'const', shared?: SharedArenaRegion): EmitResult {
  const name = program.name;
  const NAME = name.toUpperCase();
  const constName = (id: string): string => `${name}_${id}`;
  const arenaSymbol = shared?.symbol ?? `${name}_arena`;
  const arenaBase = shared?.offset ?? 0;
  const env: EmitEnv = {
    program,
    ptr: (id, ctype) => {
      const p = plan.placements.get(id);
      if (!p) throw new Error(`internal: value '${id}' has no placement`);
      return `((${ctype} *)(${arenaSymbol} + ${arenaBase + p.offset}))`;
    },
    // blob mode: const arrays are pointers into the bound blob (planned below, used only once calls render)
    constName: (id) => blob?.ref(id) ?? constName(id),
    scratch: (op) => {
      const p = plan.placements.get(kernelScratchId(op));
      return p ? `((void *)(${arenaSymbol} + ${arenaBase + p.offset}))` : 'NULL';
    },
  };
  // Library kernels that read past an array's end get zero elements appended to it.
  const constPadding = new Map<string, number>();
  for (const op of program.ops) {
    for (const [role, n] of Object.entries(backend.kernelFor(op).constPadding)) {
      const id = op.consts[role];
      if (id) constPadding.set(id, Math.max(n, constPadding.get(id) ?? 0));
    }
  }
  const blob: BlobEmission | undefined = weights === 'blob' ? planBlob(program, constPadding) : undefined;
  const sources = new Set<string>(['edgec_runtime.c', ...(blob ? BLOB_RUNTIME_SOURCES : [])]);
  let macs = 0;
  const calls = program.ops.map((op) => {
    const choice = backend.kernelFor(op);
    choice.spec.sources.forEach((s) => sources.add(s));
    macs += op.macs;
    const code = template(join(choice.templateDir, `${choice.spec.template}.hbs`))(choice.spec.view(op, env)).trimEnd();
    const out = program.values.get(op.outputs[0]) as Value;
    return {
      comment: `${cCommentText(op.name)}: ${cCommentText(op.onnxOp, 32)} -> ${op.kind} (${choice.backend})`, code,
      tracePtr: env.ptr(op.outputs[0], 'const void'), traceBytes: valueBytes(out),
    };
  });
  // patch-stage calls repeat the same geometry on every tile of one shape: one struct each
  const sharedParams = shareRepeatedParams(calls.map((c) => c.code), program.ops.map((op) => op.patch !== undefined), name);
  sharedParams.codes.forEach((code, i) => { calls[i]!.code = code; });
  const consts = [...program.consts.values()].map((c) => {
    const pad = constPadding.get(c.id) ?? 0;
    const data = padded(c.data, pad);
    return {
      cName: constName(c.id), cType: constCType(c.type), length: Math.max(1, data.length),
      data: data.length ? formatData(data) : '  0',
    };
  });
  const weightsBytes = [...program.consts.values()].reduce((a, c) => a + c.data.byteLength, 0);
  const blobOut = blob && finishBlob(program, plan, blob, calls.map((c) => c.code));
  const view = {
    name, NAME, version: EDGEC_VERSION, source: cCommentText(source), arenaBytes: Math.max(16, plan.arenaBytes), lowerBound: plan.lowerBound, weightsBytes,
    opCount: program.ops.length, macs,
    inputs: program.inputs.map((id) => tensorView(program.values.get(id) as Value, plan, arenaBase)),
    outputs: program.outputs.map((id) => tensorView(program.values.get(id) as Value, plan, arenaBase)),
    arenaSymbol, shared: shared ? { app: shared.app, APP: shared.app.toUpperCase(), offset: shared.offset, concurrent: shared.concurrent } : false,
    calls, consts, includes: backend.includes, ...placementView(board), sharedParams: sharedParams.declarations,
    // the contract in <name>.h: what invoke() may return and does to inputs, what is shared between models
    keepInputs: plan.keepInputs === true, kernelErrors: calls.some((c) => c.code.includes('return EDGEC_ERROR')),
    espNn: calls.some((c) => c.code.includes('esp_nn_set_')), arenaAlignment: ARENA_ALIGNMENT,
    ...stateView(program, plan, arenaBase),
    ...(blobOut?.view ?? { blob: false }),
  };
  const files: GeneratedFile[] = [
    { path: `${name}.h`, contents: template('model.h.hbs')(view) },
    { path: `${name}.c`, contents: template('model.c.hbs')(view) },
    { path: `${name}_weights.h`, contents: template(blob ? 'weights_blob.h.hbs' : 'weights.h.hbs')(view) },
    { path: `${name}_weights.c`, contents: template(blob ? 'weights_blob.c.hbs' : 'weights.c.hbs')(view) },
    // read by `edgec verify --from` (compiler/emit/manifest.ts)
    { path: manifestFileName(name), contents: manifestJson(buildManifest(program, plan, EDGEC_VERSION, source)) },
  ];
  // every runtime header (small; kernels may share private ones), only the kernels this model calls
  const headers = readdirSync(runtimeDir()).filter((f) => f.endsWith('.h') && (blob || !BLOB_RUNTIME_HEADERS.includes(f))).sort();
  const runtimeSources = [...headers, ...[...sources].sort()];
  for (const file of runtimeSources) files.push({ path: file, contents: readFileSync(join(runtimeDir(), file), 'utf8') });
  return { files, runtimeSources, weightsBytes, weightsBlob: blobOut?.bytes };
}
