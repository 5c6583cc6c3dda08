/** Per-layer and whole-model figures for `edgec build` and `edgec inspect`. */
import type { Compiled } from './pipeline.js';
import { valueBytes } from './ir/program.js';
import { estimateCodeBytes } from './emit/code-size.js';
import { displayName } from './errors.js';

export interface LayerReport {
  index: number;
  name: string;
  onnxOp: string;
  kind: string;
  kernel: string;
  /** Why the layer got its kernel (--backend auto: the cost estimates or the arena; a library backend: its fallback reason). */
  kernelReason?: string;
  input: number[];
  output: number[];
  params: string;
  macs: number;
  weightsBytes: number;
  outputBytes: number;
  outputOffset: number;
}

export interface ModelReport {
  model: string;
  name: string;
  board: string;
  backend: string;
  layers: LayerReport[];
  totalMacs: number;
  arenaBytes: number;
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
  codeBytesEstimate: number;
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
const FLOAT_KINDS = new Set(['conv2d_f32', 'depthwise_conv2d_f32', 'fully_connected_f32']);

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
      return `k${n('k_h')}x${n('k_w')} s${n('stride_h')}x${n('stride_w')} d${n('dil_h')}x${n('dil_w')} pad(t${n('pad_top')},l${n('pad_left')})${(kind === 'conv2d' || kind === 'conv2d_wzp') && n('groups') !== 1 ? ` g${n('groups')}` : ''} act[${n('act_min')},${n('act_max')}]`;
    case 'fully_connected': case 'fully_connected_wzp': return `${n('in_depth')}->${n('out_depth')} act[${n('act_min')},${n('act_max')}]`;
    case 'conv2d_f32': case 'depthwise_conv2d_f32':
      return `k${n('k_h')}x${n('k_w')} s${n('stride_h')}x${n('stride_w')} d${n('dil_h')}x${n('dil_w')} pad(t${n('pad_top')},l${n('pad_left')})${kind === 'conv2d_f32' && n('groups') !== 1 ? ` g${n('groups')}` : ''} f32${floatAct(p)}`;
    case 'fully_connected_f32': return `${n('in_depth')}->${n('out_depth')} f32${floatAct(p)}`;
    case 'max_pool': case 'avg_pool': return `k${n('k_h')}x${n('k_w')} s${n('stride_h')}x${n('stride_w')}`;
    case 'add': case 'mul': return n('broadcast') ? 'broadcast' : 'same shape';
    default: return '';
  }
}

export function modelReport(c: Compiled, modelPath: string): ModelReport {
  const { program, plan } = c;
  const layers = program.ops.map((op, index) => {
    const out = program.values.get(op.outputs[0]);
    const inp = op.inputs.length ? program.values.get(op.inputs[0]) : undefined;
    const weightsBytes = Object.values(op.consts).reduce((a, id) => a + (program.consts.get(id)?.data.byteLength ?? 0), 0);
    const choice = c.backend.kernelFor(op);
    const kernelReason = c.backend.reasonFor?.(op) ?? choice.fallbackReason;
    return {
      index, name: op.name, onnxOp: op.onnxOp, kind: op.kind, kernel: choice.backend, ...(kernelReason ? { kernelReason } : {}),
      input: inp?.shape ?? [], output: out?.shape ?? [], params: summariseParams(op.params, op.kind),
      macs: op.macs, weightsBytes, outputBytes: out ? valueBytes(out) : 0, outputOffset: plan.placements.get(op.outputs[0])?.offset ?? 0,
    };
  });
  const weightsBytes = c.emitted.weightsBytes;
  const codeBytesEstimate = estimateCodeBytes(c.emitted.runtimeSources, program.ops.length);
  const flashBytes = weightsBytes + codeBytesEstimate;
  const io = (id: string): ModelReport['inputs'][number] => {
    const v = program.values.get(id);
    if (!v) throw new Error(`internal: no value ${id}`);
    return { name: v.onnxName, type: v.type, dims: v.logicalShape, scale: v.scale, zeroPoint: v.zeroPoint };
  };
  return {
    model: modelPath, name: program.name, board: c.board.id, backend: c.backend.id, layers,
    totalMacs: layers.reduce((a, l) => a + l.macs, 0), arenaBytes: plan.arenaBytes, lowerBound: plan.lowerBound,
    fileOrderArenaBytes: plan.fileOrder?.arenaBytes ?? plan.arenaBytes, fileOrderLowerBound: plan.fileOrder?.lowerBound ?? plan.lowerBound,
    plainLowerBound: plan.plainLowerBound?.chosen ?? plan.lowerBound, fileOrderPlainLowerBound: plan.plainLowerBound?.fileOrder ?? plan.fileOrder?.lowerBound ?? plan.lowerBound,
    sharingLayers: {
      inPlaceDepthwise: program.ops.filter((op) => op.kind === 'depthwise_conv2d_inplace').length,
      overlapPointwise: program.ops.filter((op) => op.kind === 'conv2d_1x1_overlap').length,
    },
    orderMethod: plan.order?.method ?? 'given',
    weightsBytes, codeBytesEstimate, flashBytes, boardRamBytes: c.board.ramBytes, boardFlashBytes: c.board.flashBytes,
    fits: { ram: plan.arenaBytes <= c.board.ramBytes, flash: flashBytes <= c.board.flashBytes },
    inputs: program.inputs.map(io), outputs: program.outputs.map(io), notes: c.notes ?? [],
    floatLayers: floatLayerCosts(c), int8Build: c.int8Build,
  };
}

export function formatBytes(n: number): string {
  return n >= 10 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

export function formatLayerTable(r: ModelReport): string {
  const rows = [['#', 'layer', 'onnx', 'kernel', 'output', 'params', 'MACs', 'weights', 'out bytes', 'offset']];
  for (const l of r.layers) {
    rows.push([String(l.index), displayName(l.name, 40), displayName(l.onnxOp, 40), `${l.kind} (${l.kernel})`, l.output.join('x'), l.params, String(l.macs), String(l.weightsBytes), String(l.outputBytes), String(l.outputOffset)]);
  }
  const widths = rows[0].map((_, i) => Math.min(40, Math.max(...rows.map((row) => row[i].length))));
  return rows.map((row) => row.map((cell, i) => cell.slice(0, 40).padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** One line per layer with a reason: which kernel it runs and why (auto's choice from the cost table, or a library's fallback). */
export function formatKernelChoices(r: ModelReport): string[] {
  return r.layers.filter((l) => l.kernelReason).map((l) => `  #${l.index} ${displayName(l.name, 40)} (${l.kind}): ${l.kernelReason}`);
}

export function formatSummary(r: ModelReport): string {
  const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;
  return [
    `ops: ${r.layers.length} kernel calls, ${r.totalMacs.toLocaleString('en-US')} MACs`,
    `arena: ${r.arenaBytes} bytes (lower bound ${r.lowerBound}, ratio ${(r.arenaBytes / Math.max(1, r.lowerBound)).toFixed(3)})`,
    `plain lower bound (separate input and output buffers): ${r.plainLowerBound}, file order ${r.fileOrderPlainLowerBound}; arena/plain file-order bound ${(r.arenaBytes / Math.max(1, r.fileOrderPlainLowerBound)).toFixed(3)} (in-place depthwise layers ${r.sharingLayers.inPlaceDepthwise}, overlapped pointwise ${r.sharingLayers.overlapPointwise})`,
    `order: ${r.orderMethod}; the file's order plans to ${r.fileOrderArenaBytes} bytes (lower bound ${r.fileOrderLowerBound}; arena/that bound ${(r.arenaBytes / Math.max(1, r.fileOrderLowerBound)).toFixed(3)})`,
    `flash: ${r.flashBytes} bytes = weights ${r.weightsBytes} + code ~${r.codeBytesEstimate} (estimate)`,
    `board ${r.board}: RAM ${r.arenaBytes}/${r.boardRamBytes} (${pct(r.arenaBytes, r.boardRamBytes)}), flash ${r.flashBytes}/${r.boardFlashBytes} (${pct(r.flashBytes, r.boardFlashBytes)})`,
  ].join('\n');
}

const n = (x: number): string => x.toLocaleString('en-US');

/**
 * Cortex-M4F instructions per MAC of the portable kernels, measured with
 * `edgec bench` (QEMU, -O2) on test/fixtures/float-layers/outlier.onnx:
 * all-int8 129,649 instructions for 54.5K MACs (~2.4 per MAC); conv2 in
 * float (36,864 MACs) 423,193 instructions, ~10 per float MAC.
 */
const FLOAT_MAC_INSTRUCTIONS = 10;
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
