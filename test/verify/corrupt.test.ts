/**
 * `edgec verify --from` catches a broken generated folder: one weight byte,
 * or one requantization shift of one layer, changed in <name>_weights.c →
 * exit 1, and `--layers` names the broken layer. The intact folder passes.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../compiler/pipeline.js';
import { main } from '../../compiler/cli/main.js';
import { hasEmcc } from '../../compiler/verify/wasm.js';
import type { Op } from '../../compiler/ir/program.js';

const MODEL = 'examples/kws_dscnn/kws_dscnn_int8.onnx';
const NAME = 'kws';

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(['node', 'edgec', ...args], (s) => lines.push(s));
  return { code, out: lines.join('\n') };
}

/** Rewrites element `index` of the C array `array` in the weights file with f(old). */
function editArray(file: string, array: string, index: number, f: (v: number) => number): void {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(`${array}[`);
  const open = text.indexOf('{', start);
  const close = text.indexOf('}', open);
  const values = text.slice(open + 1, close).split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  values[index] = f(values[index]);
  writeFileSync(file, `${text.slice(0, open + 1)}\n  ${values.join(', ')}\n${text.slice(close)}`);
}

describe.skipIf(!hasEmcc())('edgec verify --from on a corrupted folder (WASM)', () => {
  const c = compileModel(MODEL, { name: NAME });
  const clean = mkdtempSync(join(tmpdir(), 'edgec-corrupt-'));
  for (const f of c.emitted.files) writeFileSync(join(clean, f.path), f.contents);
  // a layer in the middle of the model with its own weights and per-channel shifts
  const convs = c.program.ops.filter((op) => op.consts.filter && op.consts.shift);
  const victim = convs[Math.floor(convs.length / 2)] as Op;
  const copy = (): string => { const d = mkdtempSync(join(tmpdir(), 'edgec-corrupt-')); cpSync(clean, d, { recursive: true }); return d; };

  it('passes on the intact folder', async () => {
    const r = await cli(['verify', MODEL, '--from', clean]);
    console.log(r.out);
    expect(r.code).toBe(0);
  }, 60_000);

  it('fails on one changed requantization shift, --layers names the layer', async () => {
    const dir = copy();
    editArray(join(dir, `${NAME}_weights.c`), `${NAME}_${victim.consts.shift}`, 0, (v) => v + 1);
    const r = await cli(['verify', MODEL, '--from', dir]);
    console.log(r.out);
    expect(r.code).toBe(1);
    const l = await cli(['verify', MODEL, '--from', dir, '--layers', '--json']);
    expect(l.code).toBe(1);
    const report = JSON.parse(l.out) as { firstBadLayer?: { op: string } };
    console.log(`shift of '${victim.name}' changed: first bad layer '${report.firstBadLayer?.op}'`);
    expect(report.firstBadLayer?.op).toBe(victim.name);
  }, 60_000);

  it('fails on one changed weight byte, --layers names the layer', async () => {
    const dir = copy();
    const filter = c.program.consts.get(victim.consts.filter) as { data: Int8Array };
    // the largest-magnitude weight, negated: one byte, a real fault (bit flips in flash do this)
    let at = 0;
    filter.data.forEach((v, i) => { if (Math.abs(v) > Math.abs(filter.data[at])) at = i; });
    editArray(join(dir, `${NAME}_weights.c`), `${NAME}_${victim.consts.filter}`, at, (v) => (v === -128 ? 127 : -v));
    const r = await cli(['verify', MODEL, '--from', dir, '--layers']);
    console.log(r.out.split('\n').filter((s) => !/^ {4}/.test(s)).join('\n'));
    expect(r.code).toBe(1);
    expect(r.out).toContain(`first layer beyond tolerance: #${c.program.ops.indexOf(victim)} '${victim.name}'`);
    const e2e = await cli(['verify', MODEL, '--from', dir]);
    console.log(e2e.out);
    expect(e2e.code).toBe(1);
  }, 60_000);
});
