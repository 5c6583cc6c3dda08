/**
 * Where a model can be cut between the device (head) and the cloud (tail).
 * Works on the ONNX nodes themselves, so head.onnx and tail.onnx are the
 * user's own nodes, untouched. A cut is the output of a QuantizeLinear whose
 * input depends on the model input: the int8 activation the device sends.
 * It separates the graph when everything the tail needs from the model input
 * flows through that one tensor (an articulation point of the dataflow).
 */
import type { ModelProto, NodeProto } from '../onnx/proto.js';
import { displayName, EdgecError, modelError } from '../errors.js';

export interface Cut {
  /** The name the user gave (the QuantizeLinear input, its output, or a DequantizeLinear of it). */
  requested: string;
  /** The int8 (or uint8) QuantizeLinear output the device sends. */
  tensor: string;
  /** The QuantizeLinear node writing `tensor`: its scale / zero point inputs quantize the tail's float input again. */
  quantizeNode: NodeProto;
  /** The tail's float input: the cut tensor dequantized (a name the model does not use). */
  dequantizedName: string;
  /** In head.onnx, the int8 tensor's name (its output, dequantized, takes the cut tensor's own name). */
  headInnerName: string;
  /** Node indices (file order) of the head: everything `tensor` is computed from. */
  headNodes: number[];
  /** Node indices (file order) of the tail: everything the model outputs need, given `tensor`. */
  tailNodes: number[];
}

/** The model's dataflow: who writes each tensor, what is constant, what depends on the model input. */
interface Dataflow {
  nodes: NodeProto[];
  producer: Map<string, number>;
  inputs: Set<string>;
  outputs: Set<string>;
  initializers: Set<string>;
  /** Tensors whose value depends on a model input (activations, as opposed to weights and constants). */
  activations: Set<string>;
  /** Node indices in a topological order, ties in file order. */
  order: number[];
}

const ins = (n: NodeProto): string[] => (n.input ?? []).filter((x) => x !== '');
const outs = (n: NodeProto): string[] => (n.output ?? []).filter((x) => x !== '');

function topologicalOrder(nodes: NodeProto[], producer: Map<string, number>): number[] {
  const order: number[] = [];
  const state = new Uint8Array(nodes.length); // 0 new, 1 on the stack, 2 done
  const visit = (root: number): void => {
    // iterative depth-first search: models have thousands of nodes, the JS stack does not
    const stack: { i: number; next: number }[] = [{ i: root, next: 0 }];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const inputs = ins(nodes[top.i]);
      if (top.next < inputs.length) {
        const p = producer.get(inputs[top.next++]);
        if (p !== undefined && state[p] === 0) { state[p] = 1; stack.push({ i: p, next: 0 }); }
        continue;
      }
      state[top.i] = 2;
      order.push(top.i);
      stack.pop();
    }
  };
  nodes.forEach((_, i) => { if (state[i] === 0) visit(i); });
  return order;
}

export function dataflowOf(model: ModelProto): Dataflow {
  const graph = model.graph;
  const nodes = (graph?.node ?? []) as NodeProto[];
  const initializers = new Set((graph?.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = new Set((graph?.input ?? []).map((v) => v.name ?? '').filter((n) => !initializers.has(n)));
  const outputs = new Set((graph?.output ?? []).map((v) => v.name ?? ''));
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => outs(n).forEach((o) => producer.set(o, i)));
  const order = topologicalOrder(nodes, producer);
  const activations = new Set(inputs);
  for (const i of order) {
    if (ins(nodes[i]).some((x) => activations.has(x))) outs(nodes[i]).forEach((o) => activations.add(o));
  }
  return { nodes, producer, inputs, outputs, initializers, activations, order };
}

/** Nodes (indices) that `roots` are computed from, not walking past `stopAt`. */
function ancestors(flow: Dataflow, roots: string[], stopAt: string | undefined): Set<number> {
  const seen = new Set<number>();
  const pending = roots.filter((r) => r !== stopAt);
  while (pending.length > 0) {
    const p = flow.producer.get(pending.pop() as string);
    if (p === undefined || seen.has(p)) continue;
    seen.add(p);
    for (const x of ins(flow.nodes[p])) if (x !== stopAt) pending.push(x);
  }
  return seen;
}

/** Tensors computed (transitively) from `tensor`. */
function descendantTensors(flow: Dataflow, tensor: string): Set<string> {
  const reached = new Set([tensor]);
  for (const i of flow.order) {
    if (ins(flow.nodes[i]).some((x) => reached.has(x))) outs(flow.nodes[i]).forEach((o) => reached.add(o));
  }
  return reached;
}

/** Readers of `tensor` (node indices, file order). */
function consumers(flow: Dataflow, tensor: string): number[] {
  return flow.nodes.flatMap((n, i) => (ins(n).includes(tensor) ? [i] : []));
}

const isQuantize = (n: NodeProto | undefined): boolean => n?.opType === 'QuantizeLinear' && (n.domain ?? '') === '';
const isDequantize = (n: NodeProto | undefined): boolean => n?.opType === 'DequantizeLinear' && (n.domain ?? '') === '';

/**
 * The QuantizeLinear output a user's name means: the int8 tensor itself, the
 * float tensor it quantizes (its only reader a QuantizeLinear), or a
 * DequantizeLinear of it. undefined when the name is none of those.
 */
function quantizedTensorFor(flow: Dataflow, name: string): string | undefined {
  const p = flow.producer.get(name);
  if (p !== undefined && isQuantize(flow.nodes[p])) return name;
  if (p !== undefined && isDequantize(flow.nodes[p])) {
    const source = ins(flow.nodes[p])[0];
    const sp = source === undefined ? undefined : flow.producer.get(source);
    if (sp !== undefined && isQuantize(flow.nodes[sp])) return source;
  }
  const readers = consumers(flow, name);
  if (readers.length === 1 && isQuantize(flow.nodes[readers[0]]) && ins(flow.nodes[readers[0]])[0] === name) return outs(flow.nodes[readers[0]])[0];
  return undefined;
}

/** A fresh tensor name (the model may already use `<cut>_dequantized`). */
function freshName(model: ModelProto, base: string): string {
  const used = new Set<string>();
  const g = model.graph;
  (g?.node ?? []).forEach((n) => [...(n.input ?? []), ...(n.output ?? [])].forEach((x) => used.add(x)));
  (g?.initializer ?? []).forEach((t) => used.add(t.name ?? ''));
  (g?.input ?? []).forEach((v) => used.add(v.name ?? ''));
  let name = base;
  for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
  return name;
}

/**
 * Why `tensor` does not separate the graph: the first tensor (in
 * topological order) that the tail needs from the model input without going
 * through the cut. undefined when the cut separates.
 */
function crossingTensor(flow: Dataflow, tensor: string, tailNodes: Set<number>): string | undefined {
  const fromCut = descendantTensors(flow, tensor);
  const needsInputAround = (x: string): boolean => x !== tensor && flow.activations.has(x) && !fromCut.has(x);
  for (const i of flow.order) {
    if (!tailNodes.has(i) || !outs(flow.nodes[i]).some((o) => fromCut.has(o))) continue;
    const around = ins(flow.nodes[i]).find(needsInputAround);
    if (around !== undefined) return around;
  }
  return [...flow.outputs].find(needsInputAround);
}

/** The wire format carries one scale and one int8 zero point: per-channel or 16-bit activations cannot be sent. */
function perTensorProblem(model: ModelProto, quantizeNode: NodeProto): string | undefined {
  const [, scaleName, zeroPointName] = quantizeNode.input ?? [];
  const init = (n: string | undefined) => (n ? (model.graph?.initializer ?? []).find((t) => t.name === n) : undefined);
  const scale = init(scaleName);
  const count = (scale?.dims ?? []).reduce((a: number, d) => a * Number(d), 1);
  if (count > 1) return `is quantized per channel (${count} scales); the wire format carries one scale, cut at a per-tensor activation`;
  const zeroPoint = init(zeroPointName);
  // 2 = UINT8, 3 = INT8 (onnx.TensorProto.DataType)
  if (zeroPoint && zeroPoint.dataType !== 2 && zeroPoint.dataType !== 3) return 'is quantized to more than 8 bits; the wire format carries int8 values';
  return undefined;
}

function cutFailure(file: string, name: string, reason: string, hint?: string): Error {
  return modelError(file, undefined, `--split-at '${displayName(name)}': ${reason}`, hint ?? 'edgec split-advisor lists the tensors the model can be cut at');
}

/** Checks that `name` cuts the model into a head and a tail that meet only at the cut; throws one clear line otherwise. */
export function analyseCut(model: ModelProto, file: string, name: string, flow: Dataflow = dataflowOf(model)): Cut {
  const fail = (reason: string): Error => cutFailure(file, name, reason);
  if (flow.inputs.has(name)) throw fail('is a model input; the head would compute nothing');
  if (flow.outputs.has(name)) throw fail('is a model output; the tail would compute nothing');
  if (flow.initializers.has(name)) throw fail('is a constant (an initializer), not an activation');
  if (!flow.producer.has(name) && consumers(flow, name).length === 0) throw fail('no tensor of that name in the model');
  if (!flow.activations.has(name)) throw fail('is computed from constants only, not from the model input');
  const tensor = quantizedTensorFor(flow, name);
  if (tensor === undefined) throw fail('is not an int8 activation: cut at a QuantizeLinear output (or the float tensor it quantizes, or its DequantizeLinear)');
  const quantizeNode = flow.nodes[flow.producer.get(tensor) as number];
  const perTensor = perTensorProblem(model, quantizeNode);
  if (perTensor !== undefined) throw fail(perTensor);
  const quantizedInput = ins(quantizeNode)[0];
  if (flow.inputs.has(quantizedInput)) throw fail(`is the model input '${displayName(quantizedInput)}' quantized; the head would compute nothing`);
  const readers = consumers(flow, tensor);
  if (flow.outputs.has(tensor) || readers.some((r) => isDequantize(flow.nodes[r]) && outs(flow.nodes[r]).some((o) => flow.outputs.has(o)))) {
    throw fail('is (the quantized form of) a model output; the tail would compute nothing');
  }
  // the tail quantizes its float input again with the model's own scale / zero point: their producers (Constant nodes) go along
  const tail = ancestors(flow, [...flow.outputs, ...ins(quantizeNode).slice(1)], tensor);
  const crossing = crossingTensor(flow, tensor, tail);
  if (crossing !== undefined) throw fail(`does not separate the graph: tensor '${displayName(crossing)}' also crosses the cut`);
  const head = ancestors(flow, [tensor], undefined);
  return {
    requested: name, tensor, quantizeNode, dequantizedName: freshName(model, `${tensor}_dequantized`), headInnerName: freshName(model, `${tensor}_int8`),
    headNodes: [...head].sort((a, b) => a - b), tailNodes: [...tail].sort((a, b) => a - b),
  };
}

/** Every tensor the model can be cut at, in topological order (the QuantizeLinear outputs that separate the graph). */
export function cutCandidates(model: ModelProto, file: string): Cut[] {
  const flow = dataflowOf(model);
  const cuts: Cut[] = [];
  for (const i of flow.order) {
    if (!isQuantize(flow.nodes[i])) continue;
    const tensor = outs(flow.nodes[i])[0];
    if (tensor === undefined) continue;
    try {
      cuts.push(analyseCut(model, file, tensor, flow));
    } catch (e) {
      // not a cut point (a model edge, a constant, or a tensor the tail needs besides the cut)
      if (!(e instanceof EdgecError)) throw e;
    }
  }
  return cuts;
}
