/** Per-layer and whole-model figures for `edgec build` and `edgec inspect`. */
import type { Compiled } from './pipeline.js';
import { valueBytes, type WeightStorage } from './ir/program.js';
import { estimateCodeBytes } from './emit/code-size.js';
import { displayName } from './errors.js';

export interface LayerReport {
  index: number;
  name: string;
  onnxOp: string;
  kind: string;
  kernel: string;
  input: number[];
  output: number[];
  params: string;
  macs: number;
  weightsBytes: number;
  outputBytes: number;
  outputOffset: number;
  /** Conv / depthwise / fully connected: zeros of the weights and the storage chosen (passes/sparse-weights.ts). */
  weightStorage?: WeightStorage;
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
}

function summariseParams(p: Record<string, unknown>, kind: string): string {
  const n = (k: string): unknown => p[k];
  switch (kind) {
    case 'conv2d': case 'depthwise_conv2d': case 'conv2d_1x1_overlap': case 'depthwise_conv2d_inplace': case 'conv2d_wzp':
    case 'conv2d_sparse': case 'depthwise_conv2d_sparse':
      return `k${n('k_h')}x${n('k_w')} s${n('stride_h')}x${n('stride_w')} d${n('dil_h')}x${n('dil_w')} pad(t${n('pad_top')},l${n('pad_left')})${(kind === 'conv2d' || kind === 'conv2d_wzp' || kind === 'conv2d_sparse') && n('groups') !== 1 ? ` g${n('groups')}` : ''} act[${n('act_min')},${n('act_max')}]`;
    case 'fully_connected': case 'fully_connected_wzp': case 'fully_connected_sparse': return `${n('in_depth')}->${n('out_depth')} act[${n('act_min')},${n('act_max')}]`;
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
    return {
      index, name: op.name, onnxOp: op.onnxOp, kind: op.kind, kernel: c.backend.kernelFor(op).backend,
      input: inp?.shape ?? [], output: out?.shape ?? [], params: summariseParams(op.params, op.kind),
      macs: op.macs, weightsBytes, outputBytes: out ? valueBytes(out) : 0, outputOffset: plan.placements.get(op.outputs[0])?.offset ?? 0,
      weightStorage: op.weightStorage,
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
