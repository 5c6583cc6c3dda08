/**
 * The HTML report (compiler/report-html.ts): model strings are escaped (a
 * hostile tensor name stays text), the memory timeline's rects are the
 * planner's placements to scale and never collide unless the planner made
 * them share, `edgec report` and `build --report` write the page, and
 * headless Chromium renders it to a non-blank screenshot.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { compileModel } from '../compiler/pipeline.js';
import { escapeHtml, htmlReport, TIMELINE, timelineRects } from '../compiler/report-html.js';
import { QdqBuilder } from './helpers/onnx-builder.js';
import { edgec } from './helpers/cli.js';

const KWS = 'examples/kws_dscnn/kws_dscnn_int8.onnx';
const work = mkdtempSync(join(tmpdir(), 'edgec-report-'));

const HOSTILE_INPUT = '<script>alert(1)</script>';
const HOSTILE_CONV = '"><img src=x onerror=alert(2)>';
const HOSTILE_OUTPUT = "</title><svg onload=alert('3')>&amp;";

/** A conv -> relu model whose input, conv node and output carry markup in their names. */
function hostileModel(): string {
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input(HOSTILE_INPUT, [1, 2, 6, 6], { scale: 0.05, zeroPoint: 3, dtype: 'int8' }, 'int8');
  const weight = Float32Array.from({ length: 4 * 2 * 3 * 3 }, (_, i) => ((i * 37) % 11) / 10 - 0.5);
  const y = q.conv(x, { weight, weightShape: [4, 2, 3, 3], bias: Float32Array.of(0.1, -0.2, 0.3, 0), out: { scale: 0.1, zeroPoint: -5, dtype: 'int8' }, attrs: { pads: [1, 1, 1, 1] }, name: HOSTILE_CONV });
  q.output(q.op('Relu', [y]), HOSTILE_OUTPUT, 'int8');
  const path = join(work, 'hostile.onnx');
  writeFileSync(path, q.toBytes());
  return path;
}

interface SvgRect { x: number; y: number; width: number; height: number; id: string; offset: number; bytes: number; first: number; last: number; shares: string[] }

function attr(tag: string, name: string): string {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  if (!m) throw new Error(`no ${name} in ${tag.slice(0, 80)}`);
  return m[1]!;
}

const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

function parseTimeline(html: string): { scale: number; colW: number; lowerBoundY: number; rects: SvgRect[] } {
  const svg = /<svg[^>]*class="timeline"[^>]*>[\s\S]*?<\/svg>/.exec(html)?.[0];
  if (!svg) throw new Error('no timeline svg');
  const head = /<svg[^>]*>/.exec(svg)![0];
  const rects = [...svg.matchAll(/<rect class="buffer"[^>]*>/g)].map((m): SvgRect => {
    const t = m[0];
    const n = (k: string): number => Number(attr(t, k));
    return { x: n('x'), y: n('y'), width: n('width'), height: n('height'), id: unescape(attr(t, 'data-id')), offset: n('data-offset'), bytes: n('data-bytes'), first: n('data-first'), last: n('data-last'), shares: unescape(attr(t, 'data-shares')).split(' ').filter(Boolean) };
  });
  const line = /<line class="lower-bound"[^>]*>/.exec(svg)![0];
  return { scale: Number(attr(head, 'data-scale')), colW: Number(attr(head, 'data-col-width')), lowerBoundY: Number(attr(line, 'y1')), rects };
}

describe('HTML report: untrusted names', () => {
  it('escapes the five markup characters and control characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>\u0001`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;&#1;');
  });

  it('a model with markup in its tensor and node names gives a page without that markup', () => {
    const model = hostileModel();
    const html = htmlReport(compileModel(model, { name: 'hostile', board: 'nano33ble' }), model);
    // every tag in the page is one the report writes: the names stay text (their '<' is escaped)
    const tags = [...html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>/g)];
    const names = new Set(tags.map((t) => t[1]!.toLowerCase()));
    const ours = ['html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'p', 'code', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'b', 'br', 'div', 'svg', 'rect', 'polyline', 'line', 'text'];
    expect([...names].filter((n) => !ours.includes(n))).toEqual([]);
    expect(tags.filter((t) => /\son\w+=/i.test(t[0]))).toEqual([]);
    expect(html.match(/<svg/g)?.length).toBe(1);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain(escapeHtml(HOSTILE_CONV));
  });
});

describe('HTML report: memory timeline', () => {
  const c = compileModel(KWS, { name: 'kws', board: 'nano33ble', backend: 'portable' });
  const html = htmlReport(c, KWS);
  const svg = parseTimeline(html);

  it('has one rect per placed buffer with the planner\'s offset, size and lifetime, drawn to scale', () => {
    const expected = timelineRects(c);
    expect(svg.rects.length).toBe(expected.length);
    expect(svg.rects.length).toBeGreaterThan(c.program.ops.length / 2);
    for (const r of svg.rects) {
      const p = c.plan.placements.get(r.id);
      expect(p, r.id).toBeDefined();
      expect([r.offset, r.bytes, r.first, r.last]).toEqual([p!.offset, p!.bytes, p!.first, p!.last]);
      expect(r.height).toBeCloseTo(r.bytes * svg.scale, 6);
      expect(r.y + r.height).toBeCloseTo(TIMELINE.top + TIMELINE.height - r.offset * svg.scale, 6);
      expect(r.x).toBeCloseTo(TIMELINE.left + r.first * svg.colW, 6);
      expect(r.width).toBeCloseTo((r.last - r.first + 1) * svg.colW, 6);
      expect(r.offset + r.bytes).toBeLessThanOrEqual(c.plan.arenaBytes);
    }
    expect(svg.lowerBoundY).toBeCloseTo(TIMELINE.top + TIMELINE.height - c.plan.lowerBound * svg.scale, 6);
  });

  it('no two rects overlapping in time overlap in space unless the planner made them share', () => {
    let pairs = 0;
    for (const a of svg.rects) {
      for (const b of svg.rects) {
        if (a.id >= b.id) continue;
        const time = a.first <= b.last && b.first <= a.last;
        const space = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
        if (time) pairs++;
        if (time && space) expect(a.shares, `${a.id} and ${b.id} collide`).toContain(b.id);
      }
    }
    expect(pairs).toBeGreaterThan(0);
  });

  it('the sharing kernels\' pairs are drawn as sharing (KWS in --memory min has in-place depthwise layers)', () => {
    const shared = svg.rects.filter((r) => r.shares.length > 0);
    expect(c.program.ops.some((op) => op.kind === 'depthwise_conv2d_inplace')).toBe(true);
    expect(shared.length).toBeGreaterThan(0);
  });

  it('shows the layer table with kernel reasons, estimates marked as such, the flash breakdown and the fit', () => {
    expect(html).toContain('kernel and why');
    expect(html).toContain('in-place depthwise');
    expect(html).toContain('Estimated</b> (not measured on the board)');
    expect(html).toContain('measured with arm-none-eabi-gcc');
    expect(html).toMatch(/Fit on nano33ble/);
    // self-contained: no external URL, no script
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
  });
});

describe('edgec report and build --report', () => {
  it('edgec report writes the page; build --report puts report.html in the output folder', () => {
    const page = join(work, 'kws.html');
    const r = edgec(['report', KWS, '--board', 'nano33ble', '-o', page]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(page, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    const out = join(work, 'build');
    const b = edgec(['build', KWS, '--board', 'nano33ble', '-o', out, '--name', 'kws', '--report']);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('report.html');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('edgec report: kws on nano33ble');
  }, 60_000);

  it('a bad model gives one line and exit 2', () => {
    const bad = join(work, 'bad.onnx');
    writeFileSync(bad, new Uint8Array(100).fill(0xff));
    const r = edgec(['report', bad, '--board', 'nano33ble', '-o', join(work, 'bad.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^edgec: error: .*bad\.onnx/);
    expect(existsSync(join(work, 'bad.html'))).toBe(false);
  });
});

/** Width, height and the distinct values of the decoded pixel bytes of a PNG (8-bit RGB/RGBA, non-interlaced). */
function pngStats(png: Buffer): { width: number; height: number; distinctPixels: number } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels + 1;
  expect(raw.length).toBe(stride * height);
  // colours from every 7th row, unfiltered only roughly (filters change bytes): count distinct filtered rows' pixel values as a blankness test
  const seen = new Set<string>();
  for (let y = 0; y < height; y += 7) {
    for (let x = 0; x < width; x += 3) seen.add(raw.subarray(y * stride + 1 + x * channels, y * stride + 1 + x * channels + 3).toString('hex'));
  }
  return { width, height, distinctPixels: seen.size };
}

const CHROMIUM = ['chromium', 'chromium-browser'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);

describe('HTML report in headless Chromium', () => {
  it.skipIf(!CHROMIUM)(`renders to a screenshot of the expected size that is not blank${CHROMIUM ? '' : ' (skipped: no chromium on PATH; apt-get install chromium, as .ci/setup does)'}`, () => {
    const page = join(work, 'shot.html');
    writeFileSync(page, htmlReport(compileModel(KWS, { name: 'kws', board: 'nano33ble' }), KWS));
    const png = join(work, 'shot.png');
    const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--screenshot=${png}`, '--window-size=1280,1600', `file://${page}`], { encoding: 'utf8', timeout: 60_000 });
    expect(existsSync(png), r.stderr).toBe(true);
    const stats = pngStats(readFileSync(png));
    expect([stats.width, stats.height]).toEqual([1280, 1600]);
    // a blank or one-colour page gives a handful of values; text, tables and the timeline give hundreds
    expect(stats.distinctPixels).toBeGreaterThan(50);
  }, 90_000);
});
