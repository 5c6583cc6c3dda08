/** The op table: every op edgec knows, found by ONNX op type or IR kind. */
import type { OpKind } from '../ir/program.js';
import { concat } from './concat.js';
import { conv } from './conv.js';
import { dataMovement } from './data-movement.js';
import { elementwise } from './elementwise.js';
import { fullyConnected } from './fully-connected.js';
import { layoutOps } from './layout-ops.js';
import { lut } from './lut.js';
import { pad } from './pad.js';
import { pool } from './pool.js';
import { quantize } from './quantize.js';
import { reduce } from './reduce.js';
import { resize } from './resize.js';
import { softmax } from './softmax.js';
import { binary } from './binary.js';
import { unaryTable } from './unary-table.js';
import { logSoftmax } from './log-softmax.js';
import { arg } from './arg.js';
import { convTranspose } from './conv-transpose.js';
import { batchMatMul } from './batch-matmul.js';
import { lstm } from './lstm.js';
import { recurrentFloat } from './recurrent-float.js';
import { patch } from './patch.js';
import type { KernelSpec, OnnxLowering, OpDefinition } from './types.js';

export const OP_DEFINITIONS: OpDefinition[] = [conv, fullyConnected, pool, elementwise, softmax, lut, concat, pad, layoutOps, quantize,
  reduce, dataMovement, resize, binary, unaryTable, logSoftmax, arg, convTranspose, batchMatMul, lstm, recurrentFloat, patch];

export function loweringFor(onnxOp: string): OnnxLowering | undefined {
  return OP_DEFINITIONS.flatMap((d) => d.lowerings).find((l) => l.onnxOps.includes(onnxOp));
}

export function supportedOnnxOps(): string[] {
  return OP_DEFINITIONS.flatMap((d) => d.lowerings.flatMap((l) => l.onnxOps)).filter((o) => !o.startsWith('edgec.')).sort();
}

export function portableKernel(kind: OpKind): KernelSpec {
  for (const d of OP_DEFINITIONS) {
    const k = d.portable[kind];
    if (k) return k;
  }
  throw new Error(`internal: no portable kernel for ${kind}`);
}
