/**
 * `edgec report` / `build --report`: one self-contained HTML page (inline CSS
 * and SVG, no script, no external asset) with the layer table, the memory
 * timeline drawn from the planner's real offsets, the flash breakdown and the
 * fit against the board. Every string that comes from the model file goes
 * through escapeHtml: model files are untrusted input.
 */
import type { Compiled } from './pipeline.js';
import { formatBytes, formatMj, formatMs, modelReport, type ModelReport } from './report.js';
import { EDGEC_VERSION } from './emit/c-emitter.js';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text and attribute values: the five characters that can end a text run or an attribute, and control characters as code points. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One buffer of the arena over its lifetime, as the planner placed it. */
export interface TimelineRect {
  id: string;
  offset: number;
  bytes: number;
  /** First and last step (layer index) the data exists; model outputs last to `steps`. */
  first: number;
  last: number;
  /** Buffers the planner lets share these bytes (in-place and overlapped pairs). */
  shares: string[];
}

/** Every placed buffer with storage of its own (views/aliases share their base's rect), in placement order. */
export function timelineRects(c: Pick<Compiled, 'program' | 'plan'>): TimelineRect[] {
  const shares = new Map<string, string[]>();
  const pair = (a: string, b: string): void => {
    shares.set(a, [...(shares.get(a) ?? []), b]);
    shares.set(b, [...(shares.get(b) ?? []), a]);
  };
  for (const [w, r] of c.plan.inPlace ?? []) pair(w, r);
  for (const o of c.plan.overlaps ?? []) pair(o.output, o.input);
  return [...c.plan.placements.values()]
    .filter((p) => !c.program.values.get(p.id)?.aliasOf)
    .map((p) => ({ id: p.id, offset: p.offset, bytes: p.bytes, first: p.first, last: p.last, shares: shares.get(p.id) ?? [] }));
}

/** Bytes in use at each step: the union of the live rects' byte ranges (shared bytes counted once). */
export function liveBytesPerStep(rects: readonly TimelineRect[], steps: number): number[] {
  const out: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const spans = rects.filter((r) => r.first <= s && s <= r.last).map((r) => [r.offset, r.offset + r.bytes] as const).sort((a, b) => a[0] - b[0]);
    let total = 0;
    let end = -1;
    for (const [a, b] of spans) {
      if (b <= end) continue;
      total += b - Math.max(a, end);
      end = b;
    }
    out.push(total);
  }
  return out;
}

/** Geometry of the timeline, shared by the drawing and its test. */
export const TIMELINE = { left: 70, top: 20, width: 820, height: 320 } as const;

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/**
 * The memory timeline: x = layer index (a column per step, outputs live one
 * column past the last layer), y = arena offset to scale with 0 at the
 * bottom; one rect per buffer; the bytes live at each layer as a polyline and
 * the planner's lower bound and the arena size as horizontal lines.
 */
export function timelineSvg(rects: readonly TimelineRect[], steps: number, arenaBytes: number, lowerBound: number): string {
  const { left, top, width, height } = TIMELINE;
  const columns = steps + 1;
  const colW = width / columns;
  const scale = height / Math.max(1, arenaBytes);
  const yOf = (offset: number): number => top + height - offset * scale;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${left + width + 20}" height="${top + height + 50}" viewBox="0 0 ${left + width + 20} ${top + height + 50}" data-scale="${scale}" data-col-width="${colW}" data-steps="${steps}" data-arena="${arenaBytes}" data-lower-bound="${lowerBound}" role="img" aria-label="arena occupancy per layer">`);
  parts.push(`<rect class="frame" x="${left}" y="${top}" width="${width}" height="${height}" fill="#fafafa" stroke="#999"/>`);
  rects.forEach((r, i) => {
    const x = left + r.first * colW;
    const w = (r.last - r.first + 1) * colW;
    const y = yOf(r.offset + r.bytes);
    const h = r.bytes * scale;
    parts.push(`<rect class="buffer" x="${x}" y="${y}" width="${w}" height="${h}" fill="${PALETTE[i % PALETTE.length]}" fill-opacity="0.75" stroke="#333" stroke-width="0.5" data-id="${escapeHtml(r.id)}" data-offset="${r.offset}" data-bytes="${r.bytes}" data-first="${r.first}" data-last="${r.last}" data-shares="${escapeHtml(r.shares.join(' '))}"><title>${escapeHtml(r.id)}: ${r.bytes} B at offset ${r.offset}, layers ${r.first}..${r.last}</title></rect>`);
  });
  const live = liveBytesPerStep(rects, steps);
  const points = live.map((b, s) => `${left + s * colW},${yOf(b)} ${left + (s + 1) * colW},${yOf(b)}`).join(' ');
  parts.push(`<polyline class="live" points="${points}" fill="none" stroke="#000" stroke-width="2" data-live="${live.join(' ')}"/>`);
  parts.push(`<line class="lower-bound" x1="${left}" x2="${left + width}" y1="${yOf(lowerBound)}" y2="${yOf(lowerBound)}" stroke="#c00" stroke-width="1.5" stroke-dasharray="6 4" data-bytes="${lowerBound}"/>`);
  parts.push(`<text x="${left + width - 4}" y="${yOf(lowerBound) - 4}" text-anchor="end" font-size="11" fill="#c00">lower bound ${lowerBound} B</text>`);
  parts.push(`<text x="${left - 6}" y="${top + 4}" text-anchor="end" font-size="11">${arenaBytes} B</text>`);
  parts.push(`<text x="${left - 6}" y="${top + height}" text-anchor="end" font-size="11">0</text>`);
  const every = Math.max(1, Math.ceil(columns / 30));
  for (let s = 0; s < columns; s += every) parts.push(`<text x="${left + (s + 0.5) * colW}" y="${top + height + 14}" text-anchor="middle" font-size="10">${s}</text>`);
  parts.push(`<text x="${left + width / 2}" y="${top + height + 34}" text-anchor="middle" font-size="12">layer index (last column: outputs after the last layer)</text>`);
  parts.push(`<text x="14" y="${top + height / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${top + height / 2})">arena offset (bytes)</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** A bar of `part` against `whole` (CSS width, no script). */
function bar(part: number, whole: number, cls: string): string {
  const pct = Math.min(100, (100 * part) / Math.max(1, whole));
  return `<div class="bar"><div class="${cls}" style="width:${pct.toFixed(2)}%"></div></div>`;
}

const shape = (dims: readonly number[]): string => (dims.length ? dims.join('×') : '—');

function layerTable(r: ModelReport): string {
  const rows = r.layers.map((l) => {
    const e = l.estimate;
    return `<tr><td class="n">${l.index}</td><td>${escapeHtml(l.name)}</td><td>${escapeHtml(l.onnxOp)}</td><td><b>${escapeHtml(l.kind)}</b> (${escapeHtml(l.kernel)})<div class="why">${escapeHtml(l.kernelReason)}</div></td>` +
      `<td>${l.inputs.map(shape).map(escapeHtml).join('<br>')}</td><td>${escapeHtml(shape(l.output))}</td><td class="n">${l.macs.toLocaleString('en-US')}</td><td class="n">${l.weightsBytes.toLocaleString('en-US')}</td>` +
      `<td class="n">${e ? e.instructions.toLocaleString('en-US') : '—'}</td><td class="n">${e?.ms !== undefined ? formatMs(e.ms) : '—'}</td><td class="n">${e?.mJ !== undefined ? formatMj(e.mJ) : '—'}</td></tr>`;
  });
  return `<table class="layers"><thead><tr><th>#</th><th>layer</th><th>ONNX op</th><th>kernel and why</th><th>input shapes</th><th>output shape</th><th>MACs</th><th>weight bytes</th><th>est. instructions</th><th>est. ms</th><th>est. mJ</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function flashSection(r: ModelReport): string {
  const library = r.codeLibrary;
  const maxWeights = Math.max(1, ...r.layers.map((l) => l.weightsBytes));
  const weights = r.layers.filter((l) => l.weightsBytes > 0).map((l) => `<tr><td class="n">${l.index}</td><td>${escapeHtml(l.name)}</td><td class="n">${l.weightsBytes.toLocaleString('en-US')}</td><td class="w">${bar(l.weightsBytes, maxWeights, 'fill weights')}</td></tr>`);
  const codeRows = [
    ...r.codePerKernel.map((k) => `<tr><td>${escapeHtml(k.source)}</td><td class="n">${k.bytes.toLocaleString('en-US')}</td><td>${r.codeMeasuredForCore ? 'measured' : 'measured on a proxy core'}</td></tr>`),
    ...(library?.perFunction ?? []).map((f) => `<tr><td>${escapeHtml(f.name)} (${escapeHtml(library!.library)}, with its helpers)</td><td class="n">${f.bytes.toLocaleString('en-US')}</td><td>measured</td></tr>`),
    ...(library ? [`<tr><td>${escapeHtml(library.library)} library, union of the above (shared helpers once)</td><td class="n">${library.bytes.toLocaleString('en-US')}</td><td>measured</td></tr>`] : []),
    `<tr><td>invoke function (${r.layers.length} calls)</td><td class="n">${r.codeInvokeBytes.toLocaleString('en-US')}</td><td>estimate</td></tr>`,
  ];
  return `<h2>Flash</h2>
<p>${r.flashBytes.toLocaleString('en-US')} bytes = weights ${r.weightsBytes.toLocaleString('en-US')} + code ${r.codeBytes.toLocaleString('en-US')}. Code: ${escapeHtml(r.codeBasis)}.</p>
<div class="cols"><div><h3>Weights per layer</h3><table><thead><tr><th>#</th><th>layer</th><th>bytes</th><th></th></tr></thead><tbody>${weights.join('\n')}</tbody></table></div>
<div><h3>Code per kernel</h3><table><thead><tr><th>kernel</th><th>bytes</th><th>basis</th></tr></thead><tbody>${codeRows.join('\n')}</tbody></table></div></div>`;
}

function fitSection(r: ModelReport): string {
  const line = (what: string, used: number, total: number, ok: boolean): string =>
    `<tr><td>${what}</td><td class="n">${used.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}</td><td class="n">${((100 * used) / Math.max(1, total)).toFixed(1)}%</td><td class="w">${bar(used, total, ok ? 'fill ok' : 'fill over')}</td><td class="${ok ? 'ok' : 'over'}">${ok ? 'fits' : 'does NOT fit'}</td></tr>`;
  return `<h2>Fit on ${escapeHtml(r.board)}</h2><table class="fit"><tbody>${line('RAM (arena)', r.arenaBytes, r.boardRamBytes, r.fits.ram)}${line('flash (weights + code)', r.flashBytes, r.boardFlashBytes, r.fits.flash)}</tbody></table>`;
}

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fff;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}h3{font-size:14px;margin:8px 0}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ddd;padding:3px 6px;vertical-align:top;text-align:left}th{background:#f0f3f7}
td.n{text-align:right;font-variant-numeric:tabular-nums}.why{color:#666;font-size:11px;max-width:340px}
.summary td:first-child{font-weight:600}.est{background:#fff8e1;border:1px solid #f0d98c;padding:8px;font-size:13px}
.bar{width:220px;height:12px;background:#eee;border:1px solid #ccc}.fill{height:100%}.weights{background:#4e79a7}.ok{background:#59a14f;color:#fff}.over{background:#e15759;color:#fff}
td.ok,td.over{font-weight:600}.cols{display:flex;gap:32px;flex-wrap:wrap}.legend{font-size:12px;color:#444}`;

const ioText = (t: ModelReport['inputs'][number]): string => `<code>${escapeHtml(t.name)}</code> ${escapeHtml(t.type)}[${t.dims.join(',')}] scale ${t.scale} zero point ${t.zeroPoint}`;

/** The whole page for a compiled model. */
export function htmlReport(c: Compiled, modelPath: string): string {
  const r = modelReport(c, modelPath);
  const rects = timelineRects(c);
  const e = r.estimate;
  const estimate = e
    ? `<div class="est"><b>Estimated</b> (not measured on the board): ~${e.instructions.toLocaleString('en-US')} instructions${e.ms !== undefined ? `, ~${formatMs(e.ms)} ms` : ''}${e.mJ !== undefined ? `, ~${formatMj(e.mJ)} mJ` : ''} per inference.<br>Basis: ${escapeHtml(e.basis)}.</div>`
    : '<div class="est">No estimate: compiler/data/cost-model.json is missing.</div>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>edgec report: ${escapeHtml(r.name)} on ${escapeHtml(r.board)}</title>
<style>${CSS}</style></head>
<body>
<h1>edgec report: ${escapeHtml(r.name)} on ${escapeHtml(r.board)}</h1>
<p>Model <code>${escapeHtml(r.model)}</code>, kernels ${escapeHtml(r.backend)}, edgec ${escapeHtml(EDGEC_VERSION)}.</p>
<table class="summary"><tbody>
<tr><td>layers</td><td>${r.layers.length} kernel calls, ${r.totalMacs.toLocaleString('en-US')} MACs</td></tr>
<tr><td>arena</td><td>${r.arenaBytes.toLocaleString('en-US')} bytes (${formatBytes(r.arenaBytes)}); lower bound ${r.lowerBound.toLocaleString('en-US')}; execution order ${escapeHtml(r.orderMethod)}</td></tr>
${r.patch ? `<tr><td>patch stage</td><td>${escapeHtml(r.patchNote ?? '')}</td></tr>` : ''}
<tr><td>inputs</td><td>${r.inputs.map(ioText).join('<br>')}</td></tr>
<tr><td>outputs</td><td>${r.outputs.map(ioText).join('<br>')}</td></tr>
<tr><td>flash</td><td>${r.flashBytes.toLocaleString('en-US')} bytes (weights ${r.weightsBytes.toLocaleString('en-US')}, code ${r.codeBytes.toLocaleString('en-US')})</td></tr>
</tbody></table>
${estimate}
${fitSection(r)}
<h2>Layers</h2>
${layerTable(r)}
<h2>Memory timeline</h2>
<p class="legend">One rectangle per arena buffer over its lifetime, at the offset the planner gave it (to scale). Black: bytes in use at each layer; dashed red: the planner's lower bound (the most bytes any one layer needs live); the frame's top is the arena size.</p>
${timelineSvg(rects, c.program.ops.length, r.arenaBytes, r.lowerBound)}
${flashSection(r)}
</body></html>
`;
}
