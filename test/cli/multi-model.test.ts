/**
 * `edgec build a b c --name app`: several models in one library with one
 * arena. Each model is also built alone (with the same C prefix, so one
 * driver runs both), and the library must give byte-equal outputs on the same
 * inputs; the arena constant must be the largest of the separate builds'
 * arenas (the sum of their aligned regions with --concurrent), read from
 * their headers. Also: interleaved invocation, the same base name twice, the
 * whole-set fit check, refusals, and the package formats.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { edgec } from '../helpers/cli.js';
import { compileModels } from '../../compiler/multi-model.js';
import { packageLibraryFiles } from '../../compiler/package/index.js';
import { modelIdentifiers } from '../../compiler/emit/c-names.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-multi-'));
const here = dirname(fileURLToPath(import.meta.url));
const DIGITS = resolve('examples/digits/digits_int8.onnx');
const KWS = resolve('examples/kws_dscnn/kws_dscnn_int8.onnx');
const TFLITE = resolve('examples/tf2onnx_int8/tf2onnx_int8.tflite');
const MODELS = [DIGITS, KWS, TFLITE];
const PREFIXES = ['app_digits_int8', 'app_kws_dscnn_int8', 'app_tf2onnx_int8'];

/** One step of a driver: write the model's inputs from `seed` (unless `rewrite` is false), invoke it unless `invoke` is false, print its outputs' bytes. */
interface Step { prefix: string; seed: number; invoke?: boolean; rewrite?: boolean }

/**
 * A C driver for generated models: float inputs get values in [0, 1), other
 * inputs random bytes, from a seeded generator; outputs are printed as hex,
 * one line per step, so outputs compare byte for byte.
 */
function driver(header: string, steps: Step[]): string {
  const body = steps.map((s, i) => [
    ...(s.rewrite === false ? [] : [`  fill(${s.prefix}_input, ${s.prefix.toUpperCase()}_NUM_INPUTS, ${s.seed}u);`]),
    ...(s.invoke === false ? [] : [`  if (${s.prefix}_invoke() != EDGEC_OK) return 1;`]),
    `  dump(${i}, ${s.prefix}_output, ${s.prefix.toUpperCase()}_NUM_OUTPUTS);`,
  ].join('\n')).join('\n');
  return `#include <stdio.h>
#include <string.h>
#include "${header}"
static uint32_t state;
static uint32_t next(void) { state = state * 1664525u + 1013904223u; return state; }
static void fill(edgec_tensor_t *(*input)(int), int count, uint32_t seed) {
  int i;
  uint32_t k;
  state = seed;
  for (i = 0; i < count; ++i) {
    edgec_tensor_t *t = input(i);
    if (t->type == EDGEC_FLOAT32) {
      for (k = 0; k + 4u <= t->bytes; k += 4u) { float v = (float)(next() >> 8) / 16777216.0f; memcpy((unsigned char *)t->data + k, &v, 4); }
    } else {
      for (k = 0; k < t->bytes; ++k) ((unsigned char *)t->data)[k] = (unsigned char)(next() >> 24);
    }
  }
}
static void dump(int step, edgec_tensor_t *(*output)(int), int count) {
  int i;
  uint32_t k;
  printf("%d:", step);
  for (i = 0; i < count; ++i) {
    const edgec_tensor_t *t = output(i);
    for (k = 0; k < t->bytes; ++k) printf("%02x", ((const unsigned char *)t->data)[k]);
    printf(" ");
  }
  printf("\\n");
}
int main(void) {
${body}
  return 0;
}
`;
}

/** Compiles every .c of `folder` with the driver, strictly, runs it and returns its output lines. */
function run(folder: string, source: string): string[] {
  const main = join(folder, '..', `${folder.split('/').pop()}_main.c`);
  writeFileSync(main, source);
  const exe = `${main}.exe`;
  const sources = readdirSync(folder).filter((f) => f.endsWith('.c')).map((f) => join(folder, f));
  const cc = spawnSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O1', '-I', folder, ...sources, main, '-o', exe, '-lm'], { encoding: 'utf8' });
  expect(cc.stderr).toBe('');
  expect(cc.status).toBe(0);
  return execFileSync(exe, { encoding: 'utf8' }).split('\n').filter((l) => l !== '').map((l) => l.trimEnd());
}

function build(args: string[], out: string): string {
  const r = edgec(['build', ...args, '-o', out]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

const define = (header: string, macro: string): number => {
  const m = new RegExp(`#define ${macro} (\\d+)`).exec(header);
  if (!m) throw new Error(`no ${macro}`);
  return Number(m[1]);
};

const alignUp16 = (n: number): number => Math.ceil(n / 16) * 16;

describe('edgec build with several models', () => {
  // each model alone, under the prefix it gets in the library: the same driver runs both
  const separate = PREFIXES.map((prefix, i) => {
    const out = join(dir, `alone_${prefix}`);
    build([MODELS[i]!, '--name', prefix], out);
    return { prefix, out, arena: define(readFileSync(join(out, `${prefix}.h`), 'utf8'), `${prefix.toUpperCase()}_ARENA_BYTES`) };
  });
  const SEEDS = [7, 11];
  /** Each separate build's outputs for the seeds seed + model index, seed in SEEDS (one driver per model). */
  let aloneCache: string[][] | undefined;
  const alone = (seed: number): string[] => {
    aloneCache ??= separate.map((s, i) => run(s.out, driver(`${s.prefix}.h`, SEEDS.map((base) => ({ prefix: s.prefix, seed: base + i })))));
    return aloneCache.map((lines) => lines[SEEDS.indexOf(seed)]!.slice(2));
  };
  const steps = (seed: number): Step[] => PREFIXES.map((prefix, i) => ({ prefix, seed: seed + i }));

  it('one arena, the largest model\'s; outputs byte-equal to the separate builds; runtime once; (a, b, c, a) interleaved', () => {
    const out = join(dir, 'lib');
    const stdout = build([...MODELS, '--name', 'app'], out);
    const header = readFileSync(join(out, 'app.h'), 'utf8');
    expect(define(header, 'APP_ARENA_BYTES')).toBe(Math.max(...separate.map((s) => s.arena)));
    expect(stdout).toContain(`arena: ${Math.max(...separate.map((s) => s.arena))} bytes, the largest of the 3 models'`);
    for (const s of separate) {
      expect(define(readFileSync(join(out, `${s.prefix}.h`), 'utf8'), `${s.prefix.toUpperCase()}_ARENA_BYTES`)).toBe(s.arena);
      // the same weights file as the model's own build
      expect(readFileSync(join(out, `${s.prefix}_weights.c`), 'utf8')).toBe(readFileSync(join(s.out, `${s.prefix}_weights.c`), 'utf8'));
    }
    // runtime files once: exactly the union of the separate builds' runtime files
    const runtime = (folder: string): string[] => readdirSync(folder).filter((f) => f.startsWith('edgec'));
    expect(runtime(out).sort()).toEqual([...new Set(separate.flatMap((s) => runtime(s.out)))].sort());
    // the library runs the models in turn, then the first again on the same inputs (rewritten: the arena is shared)
    const lines = run(out, driver('app.h', [...steps(7), { prefix: PREFIXES[0]!, seed: 7 }]));
    const expected = alone(7);
    expect(lines.map((l) => l.slice(2))).toEqual([...expected, expected[0]]);
    expect(new Set(expected).size).toBe(3);
  }, 120_000);

  it('--concurrent: disjoint regions, arena the sum; a model\'s outputs survive the others\' invoke()', () => {
    const out = join(dir, 'lib-concurrent');
    build([...MODELS, '--name', 'app', '--concurrent'], out);
    const header = readFileSync(join(out, 'app.h'), 'utf8');
    const arenas = separate.map((s) => s.arena);
    // each region starts 16-byte aligned, so every region but the last is rounded up
    const sum = arenas.slice(0, -1).reduce((a, n) => a + alignUp16(n), 0) + arenas[arenas.length - 1]!;
    expect(define(header, 'APP_ARENA_BYTES')).toBe(sum);
    let offset = 0;
    for (const s of separate) {
      expect(define(readFileSync(join(out, `${s.prefix}.h`), 'utf8'), `${s.prefix.toUpperCase()}_ARENA_OFFSET`)).toBe(offset);
      offset += alignUp16(s.arena);
    }
    // run all three, then print the first one's outputs again without invoking it: still there
    const lines = run(out, driver('app.h', [...steps(11), { prefix: PREFIXES[0]!, seed: 11, rewrite: false, invoke: false }]));
    const expected = alone(11);
    expect(lines.map((l) => l.slice(2))).toEqual([...expected, expected[0]]);
  }, 120_000);

  it('two models with the same base name get distinct ids and both run', () => {
    for (const sub of ['a', 'b']) { mkdirSync(join(dir, sub), { recursive: true }); copyFileSync(DIGITS, join(dir, sub, 'Digits-Int8.onnx')); }
    const out = join(dir, 'same-name');
    const report = JSON.parse(build([join(dir, 'a', 'Digits-Int8.onnx'), join(dir, 'b', 'Digits-Int8.onnx'), '--name', 'app', '--json'], out)) as { arenaBytes: number; separateArenaBytes: number; models: { id: string; arenaBytes: number }[] };
    expect(report.models.map((m) => m.id)).toEqual(['digits_int8', 'digits_int8_2']);
    expect(report.arenaBytes).toBe(separate[0]!.arena);
    expect(report.separateArenaBytes).toBe(2 * separate[0]!.arena);
    const files = readdirSync(out);
    for (const f of ['app_digits_int8.h', 'app_digits_int8_2.h', 'app_digits_int8_weights.c', 'app_digits_int8_2_weights.c']) expect(files).toContain(f);
    const lines = run(out, driver('app.h', [{ prefix: 'app_digits_int8', seed: 3 }, { prefix: 'app_digits_int8_2', seed: 3 }]));
    expect(lines[1]!.slice(2)).toBe(lines[0]!.slice(2));
    expect(modelIdentifiers(['kws.onnx', 'KWS.tflite', 'kws', '9 lives!.onnx', '__x__.onnx', '.onnx'], 20)).toEqual(['kws', 'kws_2', 'kws_3', '9_lives', 'x', 'model']);
    // long names keep their head and a hash of the whole name, distinct and within the room left after `<app>_`
    const long = modelIdentifiers([`${'a'.repeat(40)}1.onnx`, `${'a'.repeat(40)}2.onnx`, `${'_'.repeat(40)}b.onnx`], 16);
    expect(long[0]).toMatch(/^aaaa_[0-9a-f]{8}$/);
    expect(long[1]).toMatch(/^aaaa_[0-9a-f]{8}$/);
    expect(long[0]).not.toBe(long[1]);
    expect(long[2]).toBe('b');
  }, 120_000);

  it('fit check for the whole set; refusals are one line and exit 2', () => {
    const vww = resolve('examples/vww_mobilenet/vww_mobilenet_int8.onnx');
    // nucleo-f446re: 128 KiB of RAM; kws alone fits, kws + vww (138,240 B) does not
    const tooBig = edgec(['build', KWS, vww, '--name', 'app', '--board', 'nucleo-f446re', '-o', join(dir, 'big')]);
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toMatch(/^edgec: error: 2 models too big for board nucleo-f446re: the arena, the largest of the 2 models' \(they run one at a time\), needs 138240 bytes of RAM, the board has \d+ \(\d+ bytes over\)\n/);
    const refusals: [string[], RegExp][] = [
      [[DIGITS, KWS, '--weights', 'blob'], /--weights blob is not supported with several models \(2 given\)/],
      [[DIGITS, KWS, '--selftest', '2'], /--selftest is not supported with several models/],
      [[DIGITS, KWS, '--shape', 'input=1,1,8,8'], /--shape is not supported with several models/],
      [[DIGITS, '--concurrent'], /--concurrent needs several models/],
      [[DIGITS, TFLITE, '--board', 'esp32', '--concurrent'], /--concurrent: .*digits_int8\.onnx and .*tf2onnx_int8\.tflite call ESP-NN, whose scratch pointer is a library global/],
      [[DIGITS, KWS, '--name', 'a_rather_long_library_name'], /--name 'a_rather_long_library_name' is too long for several models/],
    ];
    for (const [args, message] of refusals) {
      const r = edgec(['build', ...args, '-o', join(dir, 'refused')]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('edgec:'))).toHaveLength(1);
    }
    // ids whose C names would collide: `kws` makes app_kws_weights.h, so does a model `kws_weights`
    for (const f of ['kws.onnx', 'kws_weights.onnx']) copyFileSync(DIGITS, join(dir, f));
    // a package format that keeps only C files still gets the library's manifest (the next build into the folder replaces the files)
    const esp = join(dir, 'espidf');
    build([DIGITS, TFLITE, '--name', 'app', '--board', 'esp32', '--format', 'espidf'], esp);
    const manifest = JSON.parse(readFileSync(join(esp, 'app.edgec.json'), 'utf8')) as { files: string[]; models: { name: string }[] };
    expect(manifest.models.map((m) => m.name)).toEqual(['app_digits_int8', 'app_tf2onnx_int8']);
    expect(manifest.files).toContain('CMakeLists.txt');
    expect(readFileSync(join(esp, 'CMakeLists.txt'), 'utf8')).toMatch(/SRCS "app\.c" "app_digits_int8\.c" "app_digits_int8_weights\.c" "app_tf2onnx_int8\.c"/);
    const clash = edgec(['build', join(dir, 'kws.onnx'), join(dir, 'kws_weights.onnx'), '--name', 'app', '-o', join(dir, 'clash')]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/kws_weights\.onnx: its C names clash with .*kws\.onnx's \(both use 'app_kws_weights\.[ch]'/);
  }, 120_000);

  it('package formats: cmake lists every source, the arduino sketch runs every model', () => {
    const lib = compileModels([DIGITS, TFLITE], { name: 'app', board: 'host' });
    const cmake = packageLibraryFiles(lib, 'cmake').find((f) => f.path === 'CMakeLists.txt')?.contents ?? '';
    for (const f of lib.files.filter((x) => x.path.endsWith('.c'))) expect(cmake).toContain(`/${f.path}`);
    expect(cmake).toMatch(/add_library\(app STATIC/);
    const nano = compileModels([DIGITS, TFLITE], { name: 'app', board: 'nano33ble', backend: 'portable' });
    const files = packageLibraryFiles(nano, 'arduino');
    const pkg = join(dir, 'arduino');
    for (const f of files) { mkdirSync(dirname(join(pkg, f.path)), { recursive: true }); writeFileSync(join(pkg, f.path), f.contents); }
    const src = join(pkg, 'src');
    const objs = readdirSync(src).filter((f) => f.endsWith('.c')).map((f, i) => {
      const o = join(pkg, `c${i}.o`);
      execFileSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1', '-I', src, '-c', join(src, f), '-o', o]);
      return o;
    });
    const exe = join(pkg, 'sketch');
    const packageTest = join(here, '..', 'package');
    execFileSync('g++', ['-Wall', '-Wextra', '-Werror', '-O1', '-I', packageTest, '-I', src, '-x', 'c++', join(pkg, 'examples/app/app.ino'), '-x', 'c++', join(packageTest, 'arduino_main.cpp'), '-x', 'none', ...objs, '-o', exe, '-lm']);
    const outText = execFileSync(exe, { encoding: 'utf8' });
    expect(outText).toMatch(/app: 2 models, arena \d+ bytes/);
    expect(outText).toMatch(/app_digits_int8_invoke: \d+ us\noutput logits:( -?\d+\.\d{4}){10}/);
    expect(outText).toMatch(/app_tf2onnx_int8_invoke: \d+ us\noutput /);
  }, 120_000);
});
