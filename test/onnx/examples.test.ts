/**
 * Real models under examples/ (exported by PyTorch/Keras, quantized with
 * onnxruntime quantize_static): every tensor shaped, outputs matching
 * onnxruntime, and shapes matching onnx.shape_inference when python onnx exists.
 */
import { pythonHas, testPython } from '../helpers/python.js';
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadModel } from '../../compiler/onnx/load.js';
import { runOrt } from '../helpers/ort.js';
import { expectFullyShaped, randomInputs } from './check.js';

const root = join(import.meta.dirname, '..', '..');

function findModels(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return findModels(p);
    return f.endsWith('.onnx') ? [p] : [];
  });
}

const models = findModels(join(root, 'examples')).sort();
const hasOnnx = pythonHas('onnx');

/** name → dims (numbers, or strings for symbolic dims) from onnx.shape_inference with data propagation. */
const INFER = `
import json, sys, onnx
m = onnx.load(sys.argv[1])
m = onnx.shape_inference.infer_shapes(m, data_prop=True)
out = {}
for vi in list(m.graph.value_info) + list(m.graph.output) + list(m.graph.input):
    t = vi.type.tensor_type
    if not t.HasField('shape'):
        continue
    out[vi.name] = [d.dim_value if d.HasField('dim_value') else (d.dim_param or None) for d in t.shape.dim]
print(json.dumps(out))
`;

function onnxShapes(path: string): Record<string, (number | string | null)[]> {
  const r = spawnSync(testPython(), ['-c', INFER, path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, (number | string | null)[]>;
}

describe('example models', () => {
  it.skipIf(models.length > 0)('no example models exist yet', () => {
    expect(models).toEqual([]);
  });

  for (const path of models) {
    const name = relative(root, path);
    it(`${name}: every tensor shaped, outputs agree with onnxruntime`, async () => {
      const g = loadModel(path);
      expectFullyShaped(g);
      for (const t of g.tensors.values()) expect(t.shape.every((d) => Number.isInteger(d) && d >= 0), t.name).toBe(true);
      for (let i = 1; i < g.nodes.length; i++) {
        // Topological: every node input is produced earlier, or is a graph input / constant.
        const produced = new Set(g.nodes.slice(0, i).flatMap((n) => n.outputs));
        for (const input of g.nodes[i]!.inputs) {
          if (input !== '') expect(produced.has(input) || g.inputs.includes(input) || g.tensors.get(input)?.data !== undefined, input).toBe(true);
        }
      }
      const out = await runOrt(path, randomInputs(g));
      for (const o of g.outputs) expect(out[o]!.dims, o).toEqual(g.tensors.get(o)!.shape);
    });

    it.skipIf(!hasOnnx)(`${name}: shapes agree with onnx.shape_inference`, () => {
      const g = loadModel(path, { fold: false });
      const reference = onnxShapes(path);
      let compared = 0;
      for (const [tensor, dims] of Object.entries(reference)) {
        const ours = g.tensors.get(tensor);
        if (!ours) continue;
        expect(ours.shape.length, tensor).toBe(dims.length);
        // Symbolic dims (the batch) are wildcards: edgec resolves them to 1.
        dims.forEach((d, i) => { if (typeof d === 'number') expect(ours.shape[i], `${tensor} axis ${i}`).toBe(d); });
        compared++;
      }
      expect(compared).toBeGreaterThan(g.inputs.length + g.outputs.length - 1);
    });
  }
});
