/** Per-layer and whole-model figures for `edgec build` and `edgec inspect`. */
import type { PatchReport } from './passes/patch-stage.js';
import { persistentBytes } from './emit/c-emitter.js';
import type { Compiled } from './pipeline.js';
import { valueBytes, type WeightStorage } from './ir/program.js';
import { codeSize, type LibraryCode } from './emit/code-size.js';
import { displayName } from './errors.js';
import { boardTime, costModelData, costVariant, estimateLayer, FLOAT_MAC_INSTRUCTIONS, layerFeatures } from './cost-model.js';
import { costKindOf, costTableFor, estimateInstructions, type Implementation } from './backends/kernel-costs.js';
import type { Op } from './ir/program.js';
import type { KernelChoice } from './backends/index.js';

export interface LayerReport {
  index: number;
  name: string;
  onnxOp: string;
  kind: string;
  kernel: string;
  /** Why this kernel runs the layer (--backend auto: the cost estimates or the arena; a library kernel, its fallback reason, a memory-sharing kernel). */
  kernelReason: string;
  input: number[];
  /** Shapes of every activation input (the table shows all of them). */
  inputs: number[][];
  output: number[];
  params: string;
  macs: number;
  weightsBytes: number;
  outputBytes: number;
  outputOffset: number;
  /** Conv / depthwise / fully connected: zeros of the weights and the storage chosen (passes/sparse-weights.ts). */
  weightStorage?: WeightStorage;
  /** Estimated instructions (cost model) and, where the board has the figures, time and energy. */
  estimate?: { instructions: number; from: string; ms?: number; mJ?: number };
}

/** Whole-model estimate and the line saying what it rests on. */
export interface EstimateSummary {
  instructions: number;
  ms?: number;
  mJ?: number;
  basis: string;
}

export interface ModelReport {
  model: string;
  name: string;
  board: string;
  backend: string;
  layers: LayerReport[];
  totalMacs: number;
  arenaBytes: number;
  /** `--stateful`: bytes of the arena that keep the streaming state between invokes (included in arenaBytes); 0 otherwise. */
  persistentBytes: number;
  lowerBound: number;
  /** The same planner on the model file's op order (the chosen order is never worse). */
  fileOrderArenaBytes: number;
  fileOrderLowerBound: number;
  /**
   * Lower bounds of the plain problem (every layer's input and output in
   * separate buffers: no in-place depthwise, no overlapped pointwise conv),
   * chosen and file order; the arena can be below these.
   */
  plainLowerBound: number;
  fileOrderPlainLowerBound: number;
  /** Layers run by the memory-sharing kernels (in-place depthwise, overlapped pointwise). */
  sharingLayers: { inPlaceDepthwise: number; overlapPointwise: number };
  /** How the execution order was chosen: 'exact' / 'greedy' search, or 'given' (the file's order kept). */
  orderMethod: string;
  weightsBytes: number;
  /** Estimated latency and energy per inference (undefined without cost-model data). */
  estimate?: EstimateSummary;
  /** Code bytes: measured kernel sizes for the board's core (compiler/data/code-size.json) + estimated invoke glue. */
  codeBytes: number;
  /** What codeBytes rests on, e.g. "kernels measured with arm-none-eabi-gcc 12.2.1 -O2 -mcpu=cortex-m4 ...". */
  codeBasis: string;
  /** Measured bytes per runtime kernel source the build uses. */
  codePerKernel: { source: string; bytes: number }[];
  /** Whether codePerKernel is measured for the board's own core (else a proxy core's). */
  codeMeasuredForCore: boolean;
  /** Library functions the build calls and their measured code (CMSIS-NN), when measured for the board's core. */
  codeLibrary?: LibraryCode;
  /** Bytes of the invoke function's glue (estimated). */
  codeInvokeBytes: number;
  /** Layers that call a kernel library (CMSIS-NN, ESP-NN), whose code is the user's dependency and not counted. */
  libraryLayers: number;
  flashBytes: number;
  boardRamBytes: number;
  boardFlashBytes: number;
  fits: { ram: boolean; flash: boolean };
  inputs: { name: string; type: string; dims: number[]; scale: number; zeroPoint: number }[];
  outputs: { name: string; type: string; dims: number[]; scale: number; zeroPoint: number }[];
  /** Notes of the graph passes (e.g. a float tail run in int8 and dequantized at the output). */
  notes: string[];
  /** Layers kept in float32 and what they cost (empty for all-int8 builds). */
  floatLayers: FloatLayerCost[];
  /** PTQ with float layers: the same build with every layer int8, measured. */
  int8Build?: { arenaBytes: number; weightsBytes: number; macs: number };
  /** Patch-based execution of the first stage: what was applied (passes/patch-stage.ts). */
  patch?: PatchReport;
  /** What patch-based execution chose, or why nothing. */
  patchNote?: string;
}

/** One layer kept in float32: its weights float vs what the int8 layer stores, and its share of the work. */
export interface FloatLayerCost {
  name: string;
  onnxOp: string;
  kind: string;
  macs: number;
  /** Float filter + bias bytes in flash. */
  weightsBytes: number;
  /** What the int8 layer would store: int8 filter, int32 bias, mult and shift per output channel. */
  int8WeightsBytes: number;
  /** Float32 activations the layer reads or writes in the arena (its boundary temporaries included). */
  floatTensorBytes: number;
}

/** Float32 kernels of layers kept in float (compiler/ops/float-layer.ts). */
const FLOAT_KINDS = new Set(['conv2d_f32', 'depthwise_conv2d_f32', 'fully_connected_f32', 'lstm_f32', 'gru_f32']);

export function floatLayerCosts(c: Compiled): FloatLayerCost[] {
  const { program } = c;
  const bytesOf = (id: string | undefined): number => (id === undefined ? 0 : program.consts.get(id)?.data.byteLength ?? 0);
  return program.ops.filter((op) => FLOAT_KINDS.has(op.kind)).map((op) => {
    const filterElements = bytesOf(op.consts.filter) / 4;
    const channels = bytesOf(op.consts.bias) / 4;
    const floatValues = [...op.inputs, ...op.outputs].map((id) => program.values.get(id)).filter((v): v is NonNullable<typeof v> => v?.type === 'float32');
    return {
      name: op.name, onnxOp: op.onnxOp, kind: op.kind, macs: op.macs,
      weightsBytes: bytesOf(op.consts.filter) + bytesOf(op.consts.bias),
      int8WeightsBytes: filterElements + 12 * channels,
      floatTensorBytes: floatValues.reduce((a, v) => a + valueBytes(v), 0),
    };
  });
}

/** A float layer's fused clamp, e.g. ` act[0,6]` (nothing without one). */
function floatAct(p: Record<string, unknown>): string {
  const lo = Number(p.act_min);
  const hi = Number(p.act_max);
  const show = (v: number): string => (Math.abs(v) >= 3e38 ? (v > 0 ? 'inf' : '-inf') : String(Math.fround(v)));
  return lo <= -3e38 && hi >= 3e38 ? '' : ` act[${show(lo)},${show(hi)}]`;
}

function summariseParams(p: Record<string, unknown>, kind: string): string {
  const n = (k: string): unknown => p[k];
  switch (kind) {
    case 'conv2d': case 'depthwise_conv2d': case 'conv2d_1x1_overlap': case 'depthwise_conv2d_inplace': case 'conv2d_wzp':
    case 'conv2d_sparse': case 'depthwise_conv2d_sparse': case 'conv2d_wide': case 'conv2d_1x1_wide':
      return `k${n('k_h')}x${n('k_w')} s${n('stride_h')}x${n('stride_w')} d${n('dil_h')}x${n('dil_w')} pad(t${n('pad_top')},l${n('pad_left')})${(kind === 'conv2d' || kind === 'conv2d_wzp' || kind === 'conv2d_sparse') && n('groups') !== 1 ? ` g${n('groups')}` : ''} act[${n('act_min')},${n('act_max')}]`;
    case 'fully_connected': case 'fully_connected_wzp': case 'fully_connected_sparse': return `${n('in_depth')}->${n('out_depth')} act[${n('act_min')},${n('act_max')}]`;
    case 'conv2d_f32': case 'depthwise_conv2d_f32':
      return `k${n('k_h')}x${n('k_w')} s${n('stride_h')}x${n('stride_w')} d${n('dil_h')}x${n('dil_w')} pad(t${n('pad_top')},l${n('pad_left')})${kind === 'conv2d_f32' && n('groups') !== 1 ? ` g${n('groups')}` : ''} f32${floatAct(p)}`;
    case 'fully_connected_f32': return `${n('in_depth')}->${n('out_depth')} f32${floatAct(p)}`;
    case 'lstm_f32': case 'gru_f32':
      return `${n('seq_len')} steps ${n('input_size')}->${n('hidden_size')}${n('directions') === 2 ? ' bidirectional' : n('reverse_first') ? ' reverse' : ''} f32`;
    case 'max_pool': case 'avg_pool': return `k${n('k_h')}x${n('k_w')} s${n('stride_h')}x${n('stride_w')}`;
    case 'add': case 'mul': return n('broadcast') ? 'broadcast' : 'same shape';
    default: return '';
  }
}

/** Why `choice` runs `op`, in a few words for the layer table. */
export function kernelReason(op: Op, choice: KernelChoice, backendId: string, target: string | undefined): string {
  if (choice.backend !== 'portable') return `${choice.backend}${target ? ` (${target})` : ''} has a ${op.kind} kernel for these parameters`;
  if (op.kind === 'depthwise_conv2d_inplace') return 'portable in-place depthwise: the planner chose it because it lowers the arena (output overwrites the input)';
  if (op.kind === 'conv2d_1x1_overlap') return 'portable overlapped pointwise: the planner chose it because it lowers the arena (input kept inside the output)';
  if (op.kind === 'conv2d_1x1_wide' && op.params.block !== undefined) return 'portable pointwise, weights pre-widened to int16 (board flash allows), input kept inside the output (lowers the arena)';
  if (choice.fallbackReason) return `portable fallback: ${choice.fallbackReason}`;
  return backendId === 'portable' ? 'portable backend (edgec\'s own kernels, no dependency)' : `portable (${backendId} not used for ${op.kind})`;
}

/**
 * Per-layer estimates; undefined when the data is missing. On the Cortex-M4
 * from the cost model fitted to traced layers of whole models (the closest
 * to a whole inference); on another core with a kernel cost table (the one
 * `--backend auto` chooses by, measured on that core for ours and the
 * library) from that table for the layers it covers, the rest from the
 * Cortex-M4 model.
 */
function layerEstimates(c: Compiled, choices: KernelChoice[]): { perLayer: LayerReport['estimate'][]; summary?: EstimateSummary } {
  const data = costModelData();
  if (!data) return { perLayer: c.program.ops.map(() => undefined) };
  const assumptions = new Set<string>();
  const variantsUsed = new Set<string>();
  const cpu = c.board.cpu;
  const coreTable = hasOwnCore(cpu) ? undefined : costTableFor(cpu);
  // patch layers are tile-sized calls: the kernel-cost table measures calls that small (the
  // whole-model cost model's per-call constants are fitted to whole layers and overcharge a tile)
  const patchTable = costTableFor(cpu) ?? costTableFor('cortex-m4');
  let fromCoreTable = 0;
  const tablesUsed = new Set<string>();
  const perLayer = c.program.ops.map((op, i) => {
    const impl = choices[i]!.backend as Implementation;
    const table = op.patch ? patchTable : coreTable;
    const measured = table ? estimateInstructions(table, op, impl) : undefined;
    if (measured !== undefined) {
      fromCoreTable++;
      tablesUsed.add(table!.cpu);
      const t = boardTime(c.board, measured);
      return { instructions: measured, from: `${table!.cpu} kernel-cost table: ${costKindOf(op)} ${impl}${op.patch ? ' (patch layer)' : ''}`, ms: t?.ms, mJ: t?.mJ };
    }
    const { variant, assumption } = costVariant(c.board, choices[i]!.backend);
    const costs = data.variants[variant] ?? data.variants['portable-dsp'];
    if (!costs) return undefined;
    if (assumption) assumptions.add(assumption);
    if (!data.variants[variant]) assumptions.add(`${variant} not measured, portable DSP path used`);
    variantsUsed.add(variant);
    const e = estimateLayer(costs, op, layerFeatures(c.program, op));
    const t = boardTime(c.board, e.instructions);
    return { instructions: e.instructions, from: `${variant}: ${e.from}`, ms: t?.ms, mJ: t?.mJ };
  });
  const instructions = perLayer.reduce((a, l) => a + (l?.instructions ?? 0), 0);
  const t = boardTime(c.board, instructions);
  const time = t
    ? `${c.board.cyclesPerInstruction} cycles/instruction (${firstClause(c.board.sources?.cyclesPerInstruction)}) at ${(c.board.clockHz! / 1e6).toFixed(0)} MHz${t.mJ !== undefined ? `, ${c.board.activePowerMw} mW active (${firstClause(c.board.sources?.activePowerMw)})` : ', no power figure for this board'}; sources: board ${c.board.id}`
    : undefined;
  const m4Model = `a per-kernel cost model fitted to per-layer counts on QEMU Cortex-M4 (${[...variantsUsed].join(', ')}; compiler/data/cost-model.json)${hasOwnCore(cpu) ? '' : `, applied to ${cpu}`}${assumptions.size ? `; ${[...assumptions].join('; ')}` : ''}`;
  const sources = fromCoreTable === 0 ? m4Model
    : `the ${[...tablesUsed].join(', ')} kernel-cost table measured on QEMU for ${fromCoreTable} of ${perLayer.length} layers (${[...tablesUsed].map((t) => `compiler/data/kernel-costs/${t}.json`).join(', ')})${variantsUsed.size ? `, the others from ${m4Model}` : ''}`;
  const basis = `ESTIMATE: instructions from ${sources}; ${time ? `time = instructions x ${time}` : `no time: board ${c.board.id} has no clockHz / cyclesPerInstruction`}`;
  return { perLayer, summary: { instructions, ms: t?.ms, mJ: t?.mJ, basis } };
}

/** The head of a board's `sources` note ("calibrated", "nRF52840 Product Specification"); the board file has the rest. */
function firstClause(note: string | undefined): string {
  return note === undefined ? 'no source given' : note.split(/[:;(]/)[0]!.trim();
}

/** The cost model is measured on a Cortex-M4; other cores reuse it (said in the basis). */
const hasOwnCore = (cpu: string): boolean => cpu === 'cortex-m4';

export function modelReport(c: Compiled, modelPath: string): ModelReport {
  const { program, plan } = c;
  const choices = program.ops.map((op) => c.backend.kernelFor(op));
  const estimates = layerEstimates(c, choices);
  const layers = program.ops.map((op, index) => {
    const out = program.values.get(op.outputs[0]);
    const inputValues = op.inputs.map((id) => program.values.get(id)).filter((v) => v !== undefined);
    const weightsBytes = Object.values(op.consts).reduce((a, id) => a + (program.consts.get(id)?.data.byteLength ?? 0), 0);
    return {
      index, name: op.name, onnxOp: op.onnxOp, kind: op.kind, kernel: choices[index]!.backend,
      kernelReason: c.backend.reasonFor?.(op) ?? kernelReason(op, choices[index]!, c.backend.id, c.backend.target),
      input: inputValues[0]?.shape ?? [], inputs: inputValues.map((v) => v.shape), output: out?.shape ?? [], params: summariseParams(op.params, op.kind),
      macs: op.macs, weightsBytes, outputBytes: out ? valueBytes(out) : 0, outputOffset: plan.placements.get(op.outputs[0])?.offset ?? 0,
      weightStorage: op.weightStorage,
      estimate: estimates.perLayer[index],
    };
  });
  const weightsBytes = c.emitted.weightsBytes;
  const libraryLayers = layers.filter((l) => l.kernel !== 'portable').length;
  const generatedC = c.emitted.files.filter((f) => f.path.endsWith('.c')).map((f) => f.contents).join('\n');
  const code = codeSize(c.board, { sources: c.emitted.runtimeSources, calls: program.ops.length, library: libraryLayers ? { id: c.backend.id, generatedC } : undefined });
  const flashBytes = weightsBytes + code.bytes;
  const io = (id: string): ModelReport['inputs'][number] => {
    const v = program.values.get(id);
    if (!v) throw new Error(`internal: no value ${id}`);
    return { name: v.onnxName, type: v.type, dims: v.logicalShape, scale: v.scale, zeroPoint: v.zeroPoint };
  };
  return {
    model: modelPath, name: program.name, board: c.board.id, backend: c.backend.id, layers,
    totalMacs: layers.reduce((a, l) => a + l.macs, 0), arenaBytes: plan.arenaBytes, persistentBytes: persistentBytes(program), lowerBound: plan.lowerBound,
    fileOrderArenaBytes: plan.fileOrder?.arenaBytes ?? plan.arenaBytes, fileOrderLowerBound: plan.fileOrder?.lowerBound ?? plan.lowerBound,
    plainLowerBound: plan.plainLowerBound?.chosen ?? plan.lowerBound, fileOrderPlainLowerBound: plan.plainLowerBound?.fileOrder ?? plan.fileOrder?.lowerBound ?? plan.lowerBound,
    sharingLayers: {
      inPlaceDepthwise: program.ops.filter((op) => op.kind === 'depthwise_conv2d_inplace').length,
      overlapPointwise: program.ops.filter((op) => op.kind === 'conv2d_1x1_overlap' || (op.kind === 'conv2d_1x1_wide' && op.params.block !== undefined)).length,
    },
    orderMethod: plan.order?.method ?? 'given',
    weightsBytes, estimate: estimates.summary, codeBytes: code.bytes, codeBasis: code.basis, codePerKernel: code.perKernel, codeMeasuredForCore: code.measured, codeLibrary: code.library, codeInvokeBytes: code.invokeBytes, libraryLayers, flashBytes, boardRamBytes: c.board.ramBytes, boardFlashBytes: c.board.flashBytes,
    fits: { ram: plan.arenaBytes <= c.board.ramBytes, flash: flashBytes <= c.board.flashBytes },
    inputs: program.inputs.map(io), outputs: program.outputs.map(io), notes: c.notes ?? [],
    floatLayers: floatLayerCosts(c), int8Build: c.int8Build, patch: c.patch, patchNote: c.patchNote,
  };
}

export function formatBytes(n: number): string {
  return n >= 10 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

export function formatLayerTable(r: ModelReport): string {
  const rows = [['#', 'layer', 'onnx', 'kernel', 'output', 'params', 'MACs', 'weights', 'out bytes', 'offset', 'est. instr', 'est. ms', 'est. mJ']];
  for (const l of r.layers) {
    const e = l.estimate;
    rows.push([String(l.index), displayName(l.name, 40), displayName(l.onnxOp, 40), `${l.kind} (${l.kernel})`, l.output.join('x'), l.params, String(l.macs), String(l.weightsBytes), String(l.outputBytes), String(l.outputOffset),
      e ? String(e.instructions) : '-', e?.ms !== undefined ? formatMs(e.ms) : '-', e?.mJ !== undefined ? formatMj(e.mJ) : '-']);
  }
  const widths = rows[0].map((_, i) => Math.min(40, Math.max(...rows.map((row) => row[i].length))));
  return rows.map((row) => row.map((cell, i) => cell.slice(0, 40).padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/**
 * Per weighted layer: share of zero weights, their pattern, the storage
 * chosen and its bytes against the dense filter's; undefined when the model
 * has no such layer.
 */
export function formatWeightStorageTable(r: ModelReport): string | undefined {
  const weighted = r.layers.filter((l) => l.weightStorage);
  if (!weighted.length) return undefined;
  const rows = [['#', 'layer', 'zeros', 'pattern', 'storage', 'dense B', 'chosen B', 'why']];
  for (const l of weighted) {
    const w = l.weightStorage as WeightStorage;
    rows.push([String(l.index), displayName(l.name, 40), `${w.zeroPercent.toFixed(1)}%`, w.pattern, w.storage, String(w.denseBytes), String(w.chosenBytes), w.reason]);
  }
  const dense = weighted.reduce((a, l) => a + (l.weightStorage?.denseBytes ?? 0), 0);
  const chosen = weighted.reduce((a, l) => a + (l.weightStorage?.chosenBytes ?? 0), 0);
  const widths = rows[0].map((_, i) => Math.min(48, Math.max(...rows.map((row) => row[i].length))));
  const table = rows.map((row) => row.map((cell, i) => cell.slice(0, 48).padEnd(widths[i])).join('  ').trimEnd());
  return [...table, `filters: ${chosen} bytes stored, ${dense} dense (${dense > 0 ? ((100 * (dense - chosen)) / dense).toFixed(1) : '0.0'}% saved)`].join('\n');
}

/** One line per layer with a reason: which kernel it runs and why (auto's choice from the cost table, or a library's fallback). */
export function formatKernelChoices(r: ModelReport): string[] {
  return r.layers.filter((l) => l.kernelReason).map((l) => `  #${l.index} ${displayName(l.name, 40)} (${l.kind}): ${l.kernelReason}`);
}

export const formatMs = (ms: number): string => (ms >= 10 ? ms.toFixed(1) : ms >= 0.1 ? ms.toFixed(2) : ms.toFixed(3));
export const formatMj = (mJ: number): string => (mJ >= 1 ? mJ.toFixed(2) : mJ >= 0.01 ? mJ.toFixed(3) : mJ.toFixed(4));

/** "estimated ... per inference" line; the basis follows on its own line. */
export function formatEstimate(r: ModelReport): string[] {
  const e = r.estimate;
  if (!e) return ['estimate: no cost-model data (compiler/data/cost-model.json; npm run measure:cost-model)'];
  const time = e.ms !== undefined ? `~${formatMs(e.ms)} ms${e.mJ !== undefined ? `, ~${formatMj(e.mJ)} mJ` : ''} per inference on ${r.board}` : `no time estimate for ${r.board}`;
  return [`estimated: ~${e.instructions.toLocaleString('en-US')} instructions, ${time}`, `  basis: ${e.basis}`];
}

/** The heaviest layers by estimated time (build prints these; inspect and report show every layer). */
export function formatHeaviestLayers(r: ModelReport, count = 5): string | undefined {
  const timed = r.layers.filter((l) => l.estimate?.ms !== undefined).sort((a, b) => b.estimate!.ms! - a.estimate!.ms!).slice(0, count);
  if (timed.length === 0) return undefined;
  const item = (l: LayerReport): string => `#${l.index} ${l.kind} ~${formatMs(l.estimate!.ms!)} ms${l.estimate!.mJ !== undefined ? ` ~${formatMj(l.estimate!.mJ)} mJ` : ''}`;
  return `estimated heaviest layers: ${timed.map(item).join(', ')} (every layer: edgec inspect, edgec report)`;
}

export function formatSummary(r: ModelReport): string {
  const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;
  return [
    `ops: ${r.layers.length} kernel calls, ${r.totalMacs.toLocaleString('en-US')} MACs`,
    `arena: ${r.arenaBytes} bytes (lower bound ${r.lowerBound}, ratio ${(r.arenaBytes / Math.max(1, r.lowerBound)).toFixed(3)})${r.persistentBytes ? `, of which ${r.persistentBytes} persistent (--stateful state kept between invokes)` : ''}`,
    `plain lower bound (separate input and output buffers): ${r.plainLowerBound}, file order ${r.fileOrderPlainLowerBound}; arena/plain file-order bound ${(r.arenaBytes / Math.max(1, r.fileOrderPlainLowerBound)).toFixed(3)} (in-place depthwise layers ${r.sharingLayers.inPlaceDepthwise}, overlapped pointwise ${r.sharingLayers.overlapPointwise})`,
    ...(r.patchNote ? [r.patchNote] : []),
    `order: ${r.orderMethod}; the file's order plans to ${r.fileOrderArenaBytes} bytes (lower bound ${r.fileOrderLowerBound}; arena/that bound ${(r.arenaBytes / Math.max(1, r.fileOrderLowerBound)).toFixed(3)})`,
    `flash: ${r.flashBytes} bytes = weights ${r.weightsBytes} + code ${r.codeBytes} (${r.codeBasis})`,
    `board ${r.board}: RAM ${r.arenaBytes}/${r.boardRamBytes} (${pct(r.arenaBytes, r.boardRamBytes)}), flash ${r.flashBytes}/${r.boardFlashBytes} (${pct(r.flashBytes, r.boardFlashBytes)})`,
    ...formatEstimate(r),
  ].join('\n');
}

const n = (x: number): string => x.toLocaleString('en-US');

/**
 * Cortex-M4F instructions per int8 MAC of the portable kernels, measured with
 * `edgec bench` (QEMU, -O2) on test/fixtures/float-layers/outlier.onnx:
 * all-int8 129,649 instructions for 54.5K MACs (~2.4 per MAC); the float
 * rate is FLOAT_MAC_INSTRUCTIONS (cost-model.ts).
 */
const INT8_MAC_INSTRUCTIONS = 2.4;
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${n(x)}`;

/** The build report's float-layer lines: which layers stayed float and what they cost in flash, RAM and time. */
export function formatFloatLayers(r: ModelReport): string[] {
  if (r.floatLayers.length === 0) return [];
  const floatMacs = r.floatLayers.reduce((a, l) => a + l.macs, 0);
  const lines = [`float layers: ${r.floatLayers.length} layer(s) run in float32, int8 <-> float32 at their edges:`];
  for (const l of r.floatLayers) {
    lines.push(`  '${displayName(l.name, 40)}' (${displayName(l.onnxOp, 20)} -> ${l.kind}): weights ${n(l.weightsBytes)} B float vs ${n(l.int8WeightsBytes)} B int8 (${signed(l.weightsBytes - l.int8WeightsBytes)} B flash), float tensors ${n(l.floatTensorBytes)} B, ${n(l.macs)} MACs`);
  }
  if (r.int8Build) {
    lines.push(`  vs the all-int8 build (same calibration): weights ${n(r.int8Build.weightsBytes)} -> ${n(r.weightsBytes)} B (${signed(r.weightsBytes - r.int8Build.weightsBytes)}), arena ${n(r.int8Build.arenaBytes)} -> ${n(r.arenaBytes)} B (${signed(r.arenaBytes - r.int8Build.arenaBytes)})`);
  }
  const share = r.totalMacs > 0 ? ((100 * floatMacs) / r.totalMacs).toFixed(1) : '0.0';
  lines.push(`  time (estimate): ${n(floatMacs)} of ${n(r.totalMacs)} MACs (${share}%) in float32, ~${n(FLOAT_MAC_INSTRUCTIONS * floatMacs)} Cortex-M4F instructions at ~${FLOAT_MAC_INSTRUCTIONS} per float MAC (vs ~${INT8_MAC_INSTRUCTIONS} per int8 MAC); without an FPU (Cortex-M0+, ESP32-C3) float is emulated, tens of instructions per MAC`);
  return lines;
}
