/**
 * The ONNX ops edgec imports: one shape rule per op (default domain). An op
 * not listed here is rejected at import with the unsupported-op error.
 */
import { modelError, type EdgecError } from '../../errors.js';
import type { Node } from '../../ir/graph.js';
import type { ShapeRule } from './context.js';
import * as convPool from './conv-pool.js';
import * as dataMovement from './data-movement.js';
import * as elementwise from './elementwise.js';
import * as linear from './linear.js';
import * as math from './math.js';
import * as convTranspose from './conv-transpose.js';
import * as quant from './quant.js';
import * as reduce from './reduce.js';
import * as tensorOps from './tensor-ops.js';
import * as recurrent from './recurrent.js';
import { qoperatorShapeRule } from './qoperator.js';
import { DEFAULT_QOPERATORS, MICROSOFT_DOMAIN, MICROSOFT_QOPERATORS } from '../qoperator.js';

export { ShapeContext, broadcastShapes, fmtShape, type OutputInfo, type ShapeRule } from './context.js';
export { windowGeometry, type WindowGeometry, type AutoPad } from './conv-pool.js';
export { softmaxAxis } from './elementwise.js';
export { splitSizes, resizeTarget, type ResizeTarget } from './data-movement.js';
export { quantAxis } from './quant.js';
export { padAmounts, transposePerm, reshapeTarget, resolveSlice, shapeRange, constantNodeTensor, constantOfShapeValue, type SliceAxis } from './tensor-ops.js';

function isRule(v: unknown): v is ShapeRule {
  return typeof v === 'function';
}

/** Op name → rule; the modules export rules under their ONNX op names (helpers start lower-case). */
export const SHAPE_RULES: ReadonlyMap<string, ShapeRule> = new Map(
  [convPool, dataMovement, elementwise, linear, quant, reduce, tensorOps, math, convTranspose, recurrent]
    .flatMap((m) => Object.entries(m))
    .filter((entry): entry is [string, ShapeRule] => /^[A-Z]/.test(entry[0]) && isRule(entry[1])),
);

export const DEFAULT_DOMAINS: readonly string[] = ['', 'ai.onnx'];

/** QOperator ops (onnx/qoperator.ts): the float op's rule on their data inputs. */
const QOPERATOR_RULE = qoperatorShapeRule((opType) => SHAPE_RULES.get(opType));
const DEFAULT_QOPERATOR_SET = new Set(DEFAULT_QOPERATORS);
const MICROSOFT_QOPERATOR_SET = new Set(MICROSOFT_QOPERATORS);

/** The import error for an op without a rule: "node 'lstm_1' (LSTM): unsupported op LSTM (opset 13)". */
export function unsupportedOp(file: string, node: Node, opset: number): EdgecError {
  const qualified = DEFAULT_DOMAINS.includes(node.domain) ? node.opType : `${node.domain}.${node.opType}`;
  const where = DEFAULT_DOMAINS.includes(node.domain) ? `opset ${opset}` : `domain '${node.domain}'`;
  return modelError(file, node, `unsupported op ${qualified} (${where})`);
}

export function ruleFor(node: Node): ShapeRule | undefined {
  if (node.domain === MICROSOFT_DOMAIN) return MICROSOFT_QOPERATOR_SET.has(node.opType) ? QOPERATOR_RULE : undefined;
  if (!DEFAULT_DOMAINS.includes(node.domain)) return undefined;
  return DEFAULT_QOPERATOR_SET.has(node.opType) ? QOPERATOR_RULE : SHAPE_RULES.get(node.opType);
}
