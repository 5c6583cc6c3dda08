/**
 * What the int8 LSTM cell state costs (issue 14: TFLM keeps it int16): edgec's
 * QDQ model of each LSTM fixture is run in onnxruntime twice on the 40
 * held-out sequences, as quantized (cell state int8) and with the Q/DQ of the
 * cell state (c, f·c, i·g of every step) removed (cell state float, a bound for
 * int16); output SQNR of both against the float model.
 *
 *   npx vite-node examples/scripts/recurrent/cell_state_cost.ts
 */
import { loadModelBytes } from '../../../compiler/onnx/load.js';
import { quantizeModel } from '../../../compiler/quantize/index.js';
import { writeOnnx } from '../../../compiler/quantize/onnx-writer.js';
import { Sqnr } from '../../../compiler/quantize/accuracy.js';
import { openReference, runReference } from '../../../compiler/verify/reference.js';
import { readNpy } from '../../../compiler/data/npy.js';
import type { Graph } from '../../../compiler/ir/graph.js';

const FX = 'test/fixtures/recurrent';
const CELL_STATE = /_d\d+_t\d+_(c|fc|ig)$/;

/** The QDQ graph with the Q -> DQ pair after every cell-state tensor removed (readers read the float tensor). */
function floatCellState(qdq: Uint8Array): Uint8Array {
  const g: Graph = loadModelBytes(qdq, { fold: false, fileName: 'qdq.onnx' });
  const byOutput = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const bypass = new Map<string, string>();
  for (const dq of g.nodes.filter((n) => n.opType === 'DequantizeLinear')) {
    const q = byOutput.get(dq.inputs[0]);
    if (q?.opType === 'QuantizeLinear' && CELL_STATE.test(q.inputs[0])) bypass.set(dq.outputs[0], q.inputs[0]);
  }
  for (const n of g.nodes) n.inputs = n.inputs.map((i) => bypass.get(i) ?? i);
  return writeOnnx(g);
}

async function sqnrOn(model: Uint8Array | string, floatModel: string, x: Float32Array, n: number, dims: number[]): Promise<number> {
  const a = await openReference(model);
  const b = await openReference(floatModel);
  const s = new Sqnr();
  const size = x.length / n;
  for (let i = 0; i < n; i++) {
    const input = [{ name: 'input', type: 'float32' as const, dims, data: x.slice(i * size, (i + 1) * size) }];
    s.add((await runReference(b, input)).get('logits')!, (await runReference(a, input)).get('logits')!);
  }
  await a.release(); await b.release();
  return s.db();
}

const FIXTURES: [string, string, number[]][] = [
  ['torch_lstm', 'torch_lstm', [16, 1, 2]], ['torch_lstm_bf', 'torch_lstm_bf', [1, 16, 2]],
  ['torch_bilstm', 'torch_bilstm', [16, 1, 2]], ['keras_lstm', 'torch_lstm_bf', [1, 16, 2]],
];

for (const [name, data, dims] of FIXTURES) {
  const model = `${FX}/${name}.onnx`;
  const q = await quantizeModel(model, { calibration: `${FX}/calib_${data}.npy` });
  const x = readNpy(`${FX}/test_${data}_x.npy`);
  const int8 = await sqnrOn(q.qdqBytes, model, x.data as Float32Array, x.shape[0], dims);
  const float = await sqnrOn(floatCellState(q.qdqBytes), model, x.data as Float32Array, x.shape[0], dims);
  console.log(`${name}: QDQ in onnxruntime ${int8.toFixed(2)} dB with an int8 cell state, ${float.toFixed(2)} dB with a float one (cost ${(float - int8).toFixed(2)} dB)`);
}
