/**
 * The ONNX project's own conformance data for the quantized operators
 * (Debian libonnx-testdata: onnx/backend/test/data/node/test_*), through
 * edgec: each case's model + input_*.pb, compiled to C, run (gcc), compared
 * with its output_0.pb. The cases feed scales and zero points as graph
 * inputs; edgec needs them constant, so they become initializers holding the
 * case's own values (same semantics). QLinearConv / QLinearMatMul
 * (QOperator format) are rewritten to the equivalent QDQ graph
 * (DequantizeLinear -> Conv/MatMul -> QuantizeLinear), the form edgec
 * compiles. A case edgec rejects is listed with the compiler's own reason;
 * a case it compiles must match (±1 LSB: onnx rounds in float, edgec in
 * fixed point). The table is printed.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx, type GraphProto, type NodeProto, type TensorProto } from '../../compiler/onnx/proto.js';
import type { Compiled } from '../../compiler/pipeline.js';
import { decodeTensor } from '../../compiler/onnx/tensor-data.js';
import { compileModel } from '../../compiler/pipeline.js';
import { EdgecError } from '../../compiler/errors.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';

const ROOTS = ['/usr/share/libonnx-testdata/data/node', '/usr/share/libonnx-testdata/onnx/backend/test/data/node'];
const ROOT = ROOTS.find((r) => existsSync(r));
const CASES = ['test_quantizelinear', 'test_quantizelinear_axis', 'test_dequantizelinear', 'test_dequantizelinear_axis',
  'test_qlinearconv', 'test_qlinearmatmul_2D', 'test_qlinearmatmul_3D'];

interface Row { name: string; status: 'pass' | 'FAIL' | 'unsupported'; detail: string }

function readPb(path: string): TensorProto {
  return onnx.TensorProto.decode(readFileSync(path));
}

/** QLinearConv / QLinearMatMul -> DQ(x), DQ(w) -> Conv/MatMul -> Q(y): the QDQ form of the same arithmetic. */
function toQdq(graph: GraphProto): void {
  const nodes: NodeProto[] = [];
  for (const n of graph.node ?? []) {
    if (n.opType !== 'QLinearConv' && n.opType !== 'QLinearMatMul') { nodes.push(n); continue; }
    const [x, xs, xz, w, ws, wz, ys, yz, bias] = n.input ?? [];
    const y = (n.output ?? [])[0];
    nodes.push(onnx.NodeProto.create({ name: 'dq_x', opType: 'DequantizeLinear', input: [x, xs, xz], output: ['x_f'] }));
    nodes.push(onnx.NodeProto.create({ name: 'dq_w', opType: 'DequantizeLinear', input: [w, ws, wz], output: ['w_f'] }));
    const inputs = ['x_f', 'w_f', ...(bias ? [bias] : [])];
    nodes.push(onnx.NodeProto.create({ name: 'op', opType: n.opType === 'QLinearConv' ? 'Conv' : 'MatMul', input: inputs, output: ['y_f'], attribute: n.attribute }));
    nodes.push(onnx.NodeProto.create({ name: 'q_y', opType: 'QuantizeLinear', input: ['y_f', ys, yz], output: [y] }));
  }
  graph.node = nodes;
}

/** The case's model with every input but the first turned into an initializer of the case's value. */
function prepare(dir: string): { model: Uint8Array; input: TensorProto; expected: TensorProto } {
  const model = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
  const graph = model.graph as GraphProto;
  const data = join(dir, 'test_data_set_0');
  const inputs = (graph.input ?? []).map((vi, i) => ({ vi, pb: readPb(join(data, `input_${i}.pb`)) }));
  graph.initializer = [...(graph.initializer ?? []), ...inputs.slice(1).map(({ vi, pb }) => onnx.TensorProto.create({ ...pb, name: vi.name }))];
  graph.input = [inputs[0].vi];
  toQdq(graph);
  return { model: onnx.ModelProto.encode(model).finish(), input: inputs[0].pb, expected: readPb(join(data, 'output_0.pb')) };
}

function bytesOf(t: TensorProto, file: string): Uint8Array {
  const d = decodeTensor(t, { file, baseDir: '' }).data;
  if (!d) throw new Error(`${file}: no data`);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function runCase(name: string): Row {
  const dir = join(ROOT as string, name);
  if (!existsSync(dir)) return { name, status: 'unsupported', detail: 'case not in this libonnx-testdata version' };
  const { model, input, expected } = prepare(dir);
  const work = mkdtempSync(join(tmpdir(), `edgec-conf-${name}-`));
  const modelPath = join(work, 'model.onnx');
  writeFileSync(modelPath, model);
  let c: Compiled;
  try {
    c = compileModel(modelPath, { name: 'm' });
  } catch (e) {
    if (e instanceof EdgecError) return { name, status: 'unsupported', detail: e.message.replace(`${modelPath}: `, '') };
    throw e;
  }
  const out = join(work, 'c');
  mkdirSync(out);
  for (const f of c.emitted.files) writeFileSync(join(out, f.path), f.contents);
  const ours = runNative(buildNativeRunner(out, 'm'), bytesOf(input, name), 1);
  const exp = decodeTensor(expected, { file: name, baseDir: '' }).data as ArrayLike<number>;
  const view = exp instanceof Float32Array ? new Float32Array(ours.buffer, ours.byteOffset, ours.byteLength / 4)
    : exp instanceof Int8Array ? new Int8Array(ours.buffer, ours.byteOffset, ours.byteLength) : new Uint8Array(ours.buffer, ours.byteOffset, ours.byteLength);
  if (view.length !== exp.length) return { name, status: 'FAIL', detail: `${view.length} values, expected ${exp.length}` };
  // float outputs (DequantizeLinear) in units of the case's scale; integer outputs in LSB
  const unit = exp instanceof Float32Array ? Math.abs(Number(decodeTensor(readPb(join(dir, 'test_data_set_0', 'input_1.pb')), { file: name, baseDir: '' }).data?.[0] ?? 1)) : 1;
  let max = 0;
  let exact = 0;
  for (let i = 0; i < exp.length; i++) {
    const d = Math.abs(Number(view[i]) - Number(exp[i])) / unit;
    max = Math.max(max, d);
    if (d === 0) exact++;
  }
  return { name, status: max <= 1 ? 'pass' : 'FAIL', detail: `${exact}/${exp.length} exact, max |diff| ${max} LSB` };
}

describe.skipIf(!ROOT)('ONNX conformance data (libonnx-testdata) for quantized operators', () => {
  it('runs the supported cases, lists the rest with the reason', () => {
    const rows = CASES.map(runCase);
    const width = Math.max(...rows.map((r) => r.name.length));
    console.log(['ONNX backend node tests, quantized operators, through edgec:', ...rows.map((r) => `  ${r.name.padEnd(width)}  ${r.status.padEnd(11)}  ${r.detail}`)].join('\n'));
    expect(rows.filter((r) => r.status === 'FAIL')).toEqual([]);
    expect(rows.filter((r) => r.status === 'pass').map((r) => r.name)).toEqual(expect.arrayContaining(['test_quantizelinear', 'test_dequantizelinear']));
  }, 120_000);
});
