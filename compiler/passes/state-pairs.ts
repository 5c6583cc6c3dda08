/**
 * `--stateful` (issue 14, streaming state): which graph inputs are state,
 * and which graph output of the same invoke is their next value.
 *
 *  - By default every forward LSTM/GRU node pairs its initial_h (and LSTM
 *    initial_c) graph input with its Y_h (Y_c) output. The state input must
 *    be a graph input in the model: an exporter that folded a zero initial
 *    state into a constant (torch.onnx.export without h0) left nothing to
 *    stream into, and the model is refused with one line naming the node.
 *    Y_h / Y_c become graph outputs when the model did not list them.
 *  - A .tflite UNIDIRECTIONAL_SEQUENCE_LSTM's hidden and cell state
 *    variable tensors become graph input/output pairs (ops/lstm.ts).
 *  - `--state <input>=<output>[,...]` names the pairs of any model (e.g. a
 *    streaming convolution whose ring buffer is an input/output pair).
 *
 * Every pair must have the same shape and element type. The pairs are
 * recorded in `graph.statePairs` and each pair is added to
 * `graph.tiedRanges`, so PTQ gives input and output one quantization and
 * copying the output into the input between invokes is exact.
 * Runs right after import, before unroll-recurrent (it needs the LSTM/GRU
 * nodes) and before the QDQ canonicalisation.
 */
import type { Graph, Node, StatePair } from '../ir/graph.js';
import { displayName, EdgecError, modelError } from '../errors.js';
import { exposeTflLstmState, TFL_LSTM_OP } from '../ops/lstm.js';

/** `--state a=b,c=d` -> [{ input: 'a', output: 'b' }, ...]; malformed text is a usage error. */
export function parseStatePairs(text: string | undefined): StatePair[] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').map((part) => {
    const eq = part.indexOf('=');
    const input = part.slice(0, eq).trim();
    const output = part.slice(eq + 1).trim();
    if (eq <= 0 || input === '' || output === '') throw new EdgecError(`--state '${text}': expected <input>=<output>[,<input>=<output>...] (graph input = graph output that holds its next value)`, 2);
    return { input, output };
  });
}

function isRecurrent(node: Node): boolean {
  return (node.opType === 'LSTM' || node.opType === 'GRU') && (node.domain === '' || node.domain === 'ai.onnx');
}

/** The (initial state input slot, final state output slot) pairs of a recurrent node. */
function stateSlots(node: Node): { input: number; output: number; what: string }[] {
  const slots = [{ input: 5, output: 1, what: 'initial_h' }];
  if (node.opType === 'LSTM') slots.push({ input: 6, output: 2, what: 'initial_c' });
  return slots;
}

/** The default pairs: each recurrent node's state inputs with its final-state outputs. */
function recurrentPairs(graph: Graph): StatePair[] {
  const nodes = graph.nodes.filter(isRecurrent);
  const tfliteLstms = graph.nodes.filter((n) => n.opType === TFL_LSTM_OP);
  if (nodes.length === 0 && tfliteLstms.length === 0) {
    throw new EdgecError(`${graph.fileName}: --stateful: the model has no LSTM or GRU node; name the state pairs with --state <input>=<output>`, 2);
  }
  // a .tflite LSTM keeps its state in variable tensors: they become the pairs (TFLM's Invoke() without Reset())
  const pairs: StatePair[] = tfliteLstms.flatMap((node) => exposeTflLstmState(graph, node));
  for (const node of nodes) {
    const direction = String(node.attrs.direction ?? 'forward');
    if (direction !== 'forward') {
      throw modelError(graph.fileName, node, `--stateful: direction is '${direction}'; only a forward ${node.opType} can carry its state from one invoke to the next (a reverse pass reads the sequence from its end)`);
    }
    for (const slot of stateSlots(node)) {
      const input = node.inputs[slot.input] ?? '';
      if (input === '' || !graph.inputs.includes(input)) {
        const what = input === '' ? 'absent' : graph.tensors.get(input)?.data ? `the constant '${input}' (a zero state the exporter folded in)` : `'${input}', computed in the model, not a graph input`;
        throw modelError(graph.fileName, node, `--stateful: the model has no state input for this node (its ${slot.what} is ${what})`,
          'export the model with the initial state as a graph input (torch: rnn(x, h0) with h0 a named input), or name the pairs with --state');
      }
      const output = node.outputs[slot.output] ?? '';
      if (output === '') throw modelError(graph.fileName, node, `--stateful: the node has no output for its final state (output ${slot.output} is absent)`);
      if (!graph.outputs.includes(output)) graph.outputs.push(output);
      pairs.push({ input, output });
    }
  }
  return pairs;
}

/** Every pair names a graph input and a graph output of the same shape and type; no tensor in two pairs. */
function checkPairs(graph: Graph, pairs: readonly StatePair[]): void {
  const seen = new Set<string>();
  for (const { input, output } of pairs) {
    const where = `${graph.fileName}: --state ${displayName(input)}=${displayName(output)}`;
    if (!graph.inputs.includes(input)) throw new EdgecError(`${where}: '${displayName(input)}' is not a graph input (inputs: ${graph.inputs.map((n) => displayName(n, 40)).join(', ')})`, 2);
    if (!graph.outputs.includes(output)) throw new EdgecError(`${where}: '${displayName(output)}' is not a graph output (outputs: ${graph.outputs.map((n) => displayName(n, 40)).join(', ')})`, 2);
    for (const name of [input, output]) {
      if (seen.has(name)) throw new EdgecError(`${where}: '${displayName(name)}' is in two state pairs`, 2);
      seen.add(name);
    }
    const a = graph.tensors.get(input)!;
    const b = graph.tensors.get(output)!;
    const count = (s: number[]): number => s.reduce((x, y) => x * y, 1);
    if (count(a.shape) !== count(b.shape)) throw new EdgecError(`${where}: the input has ${count(a.shape)} elements [${a.shape.join(', ')}], the output ${count(b.shape)} [${b.shape.join(', ')}]; a state pair needs the same shape`, 2);
    if (a.shape.join(',') !== b.shape.join(',')) throw new EdgecError(`${where}: shapes differ ([${a.shape.join(', ')}] and [${b.shape.join(', ')}]); a state pair needs the same shape`, 2);
    if (a.dtype !== b.dtype) throw new EdgecError(`${where}: element types differ (${a.dtype} and ${b.dtype})`, 2);
  }
}

/** The pass: `explicit` pairs (--state) or the recurrent nodes' default ones (--stateful alone). */
export function statePairs(explicit: readonly StatePair[] | undefined): (graph: Graph) => Graph {
  return (graph) => {
    const pairs = explicit ? [...explicit] : recurrentPairs(graph);
    checkPairs(graph, pairs);
    graph.statePairs = pairs;
    graph.tiedRanges = [...(graph.tiedRanges ?? []), ...pairs.map((p) => [p.input, p.output])];
    return graph;
  };
}
