/**
 * Small ONNX graphs in the exact layouts real exporters write (PPQ / esp-ppq,
 * NNCF, tf2onnx --tflite, AMD Quark), for the canonicalisation passes' unit
 * tests and the end-to-end test against onnxruntime.
 */
import { OnnxBuilder, quantizeWeights, roundHalfEven, type QParams } from '../helpers/onnx-builder.js';
import { Rand } from '../ops/harness.js';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import type { Graph } from '../../compiler/ir/graph.js';

export { Rand };

/** Per-tensor int8 activation parameters. */
export function act(scale: number, zeroPoint: number): QParams {
  return { scale: Math.fround(scale), zeroPoint, dtype: 'int8' };
}

/** A graph builder with the Q/DQ vocabulary the exporters use. */
export class Pat {
  readonly b: OnnxBuilder;
  private k = 0;

  constructor(opset = 13) {
    this.b = new OnnxBuilder({ opset });
  }

  private params(base: string, scales: number[], zps: number[], zpType: 'int8' | 'int32' = 'int8'): [string, string] {
    const s = `${base}_s`;
    const z = `${base}_z`;
    const shape = scales.length > 1 ? [scales.length] : [];
    this.b.initializer(s, Float32Array.from(scales), shape);
    this.b.initializer(z, zpType === 'int8' ? Int8Array.from(zps) : Int32Array.from(zps), shape);
    return [s, z];
  }

  /** QuantizeLinear (per tensor, or per channel along `axis`). */
  q(x: string, p: QParams | { scales: number[]; zeroPoints: number[]; axis: number }): string {
    const base = `q${this.k++}`;
    const [s, z] = 'scale' in p ? this.params(base, [p.scale], [p.zeroPoint]) : this.params(base, p.scales, p.zeroPoints);
    return this.b.op('QuantizeLinear', [x, s, z], 'axis' in p ? { axis: p.axis } : {}, { output: `${base}_out` });
  }

  dq(x: string, p: QParams | { scales: number[]; zeroPoints: number[]; axis: number }): string {
    const base = `dq${this.k++}`;
    const [s, z] = 'scale' in p ? this.params(base, [p.scale], [p.zeroPoint]) : this.params(base, p.scales, p.zeroPoints);
    return this.b.op('DequantizeLinear', [x, s, z], 'axis' in p ? { axis: p.axis } : {}, { output: `${base}_out` });
  }

  /** Q then DQ with the same parameters (a QDQ island boundary). */
  qdq(x: string, p: QParams): string {
    return this.dq(this.q(x, p), p);
  }

  /** Symmetric int8 weights through DQ (per channel along `axis`, or per tensor with -1); returns the DQ output and the scales. */
  weights(w: Float32Array, shape: number[], axis: number): { name: string; scales: number[]; data: Int8Array } {
    const base = `w${this.k++}`;
    const qw = quantizeWeights(w, shape, axis);
    this.b.initializer(`${base}_q`, qw.data, shape);
    const scales = Array.from(qw.scales);
    const [s, z] = this.params(base, scales, scales.map(() => 0));
    const name = this.b.op('DequantizeLinear', [`${base}_q`, s, z], axis >= 0 ? { axis } : {}, { output: `${base}_dq` });
    return { name, scales, data: qw.data };
  }

  /** int32 bias through DQ with scale `scales` (per channel with `axis` when more than one), as TFLite / tf2onnx store it. */
  bias(values: Float32Array, scales: number[], axis?: number): string {
    const base = `b${this.k++}`;
    const q = Int32Array.from(values, (v, c) => roundHalfEven(v / scales[scales.length > 1 ? c : 0]!));
    this.b.initializer(`${base}_q`, q, [values.length]);
    const [s, z] = this.params(base, scales, scales.map(() => 0), 'int32');
    return this.b.op('DequantizeLinear', [`${base}_q`, s, z], axis !== undefined ? { axis } : {}, { output: `${base}_dq` });
  }

  /** Q then a DQ writing graph output `name` (float). */
  out(x: string, p: QParams, name = 'out'): this {
    const base = `o${this.k++}`;
    const [s, z] = this.params(base, [p.scale], [p.zeroPoint]);
    const q = this.b.op('QuantizeLinear', [x, s, z], {}, { output: `${base}_q` });
    this.b.node('DequantizeLinear', [q, s, z], [name]);
    return this.floatOutput(name);
  }

  int64(values: number[]): string {
    const name = `c${this.k++}`;
    this.b.int64(name, values);
    return name;
  }

  floatInput(name: string, dims: number[]): string {
    this.b.input(name, 'float32', dims);
    return name;
  }

  floatOutput(name: string): this {
    this.b.output(name, 'float32');
    return this;
  }

  bytes(): Uint8Array {
    return this.b.toBytes();
  }

  graph(): Graph {
    return loadModelBytes(this.bytes(), { fileName: 'pattern.onnx' });
  }
}

/** Op types of a graph in order (for before/after assertions). */
export function opTypes(g: Graph): string[] {
  return g.nodes.map((n) => n.opType);
}
