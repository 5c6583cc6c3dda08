/**
 * Package formats: required files and fields of each layout (Arduino
 * library 1.5, PlatformIO, ESP-IDF component, CMake), the sketch compiled
 * and run against a minimal Arduino.h stand-in, the CMake target built with
 * cmake, and formats a board does not offer rejected.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { packageFiles } from '../../compiler/package/index.js';
import type { GeneratedFile } from '../../compiler/emit/c-emitter.js';
import { selftestFiles } from '../../compiler/verify/selftest.js';
import { EdgecError } from '../../compiler/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const MODEL = 'examples/kws_dscnn/kws_dscnn_int8.onnx';

function write(files: GeneratedFile[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-pkg-'));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.contents);
  }
  return dir;
}

const byPath = (files: GeneratedFile[]): Map<string, string> => new Map(files.map((f) => [f.path, f.contents]));

function hasTool(tool: string): boolean {
  try { execFileSync(tool, ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** Compiles the library's C sources with gcc and the sketch with g++ against test/package/Arduino.h; returns the program's output. */
function runSketch(dir: string, srcDir: string, ino: string): string {
  const exe = join(dir, 'sketch');
  const cSources = execFileSync('sh', ['-c', `ls ${srcDir}/*.c`]).toString().trim().split('\n');
  const objs = cSources.map((src, i) => {
    const o = join(dir, `c${i}.o`);
    execFileSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-O1', '-I', srcDir, '-c', src, '-o', o]);
    return o;
  });
  execFileSync('g++', ['-Wall', '-Wextra', '-Werror', '-O1', '-I', here, '-I', srcDir, '-x', 'c++', ino, '-x', 'c++', join(here, 'arduino_main.cpp'), '-x', 'none', ...objs, '-o', exe, '-lm']);
  return execFileSync(exe).toString();
}

describe('package formats', () => {
  const portable = compileModel(MODEL, { name: 'kws', board: 'nano33ble', backend: 'portable' });

  it('arduino: library.properties (spec 1.5 fields), src/, an example sketch that compiles and runs', async () => {
    const files = packageFiles(portable, 'arduino', 'kws_dscnn_int8.onnx');
    const m = byPath(files);
    const props = new Map((m.get('library.properties') ?? '').trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
    for (const key of ['name', 'version', 'author', 'maintainer', 'sentence', 'paragraph', 'category', 'url', 'architectures']) expect(props.get(key), key).toBeTruthy();
    expect(props.get('name')).toBe('kws');
    expect(m.has('src/kws.h') && m.has('src/kws.c') && m.has('src/kws_weights.c') && m.has('src/edgec.h')).toBe(true);
    expect(m.has('examples/kws/kws.ino')).toBe(true);
    expect(m.get('README.md')).toMatch(/libraries\//);
    const dir = write(files);
    const out = runSketch(dir, join(dir, 'src'), join(dir, 'examples/kws/kws.ino'));
    expect(out).toMatch(/kws: arena \d+ bytes/);
    expect(out).toMatch(/invoke: \d+ us/);
    expect(out).toMatch(/output .*:( -?\d+\.\d{4}){12}/);
    // with --selftest golden vectors, the sketch runs the self-test first
    const selftest = await selftestFiles(MODEL, portable.program, { count: 2, version: '0.1.0', source: 'kws_dscnn_int8.onnx' });
    const withSelftest = packageFiles(portable, 'arduino', 'kws_dscnn_int8.onnx', selftest);
    expect(byPath(withSelftest).get('examples/kws/kws.ino')).toMatch(/kws_selftest\(\)/);
    const dir2 = write(withSelftest);
    expect(runSketch(dir2, join(dir2, 'src'), join(dir2, 'examples/kws/kws.ino'))).toMatch(/kws self-test: PASS/);
  }, 120_000);

  it('platformio: library.json with the kernel library dependency and a ready project', () => {
    const cases: [string, RegExp][] = [['esp32', /esp-nn/], ['nano33ble', /CMSIS-NN/]];
    for (const [board, dep] of cases) {
      const c = compileModel(MODEL, { name: 'kws', board, backend: board === 'esp32' ? 'esp-nn' : 'cmsis-nn' });
      const m = byPath(packageFiles(c, 'platformio', 'm.onnx'));
      const lib = JSON.parse(m.get('lib/kws/library.json') ?? '{}') as { name?: string; version?: string; dependencies?: { name: string; version: string }[] };
      expect(lib.name).toBe('kws');
      expect(lib.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(JSON.stringify(lib.dependencies)).toMatch(dep);
      const ini = m.get('platformio.ini') ?? '';
      expect(ini).toMatch(new RegExp(`\\[env:${board}\\]`));
      for (const key of ['platform', 'board', 'framework']) expect(ini).toMatch(new RegExp(`^${key} = \\S+`, 'm'));
      expect(m.has('src/main.cpp') && m.has('lib/kws/src/kws.h') && m.has('lib/kws/src/kws.c')).toBe(true);
    }
  });

  it('espidf: idf_component_register over every source, idf_component.yml depending on espressif/esp-nn, DRAM_ATTR arena', () => {
    const c = compileModel(MODEL, { name: 'kws', board: 'esp32' });
    const files = packageFiles(c, 'espidf', 'm.onnx');
    const m = byPath(files);
    const cmake = m.get('CMakeLists.txt') ?? '';
    expect(cmake).toMatch(/idf_component_register\(SRCS/);
    for (const f of files.filter((x) => x.path.endsWith('.c'))) expect(cmake).toContain(`"${f.path}"`);
    expect(m.get('idf_component.yml')).toMatch(/^ {2}espressif\/esp-nn: "[^"]+"$/m);
    expect(m.get('kws.c')).toMatch(/#if defined\(ESP_PLATFORM\) && !defined\(EDGEC_ARENA_ATTR\)\n#include "esp_attr.h"\n#define EDGEC_ARENA_ATTR DRAM_ATTR/);
    expect(m.get('kws.c')).toMatch(/#include "esp_nn.h"/);
  });

  it.skipIf(!hasTool('cmake'))('cmake: a static library target that builds (portable)', () => {
    const c = compileModel(MODEL, { name: 'kws', board: 'host' });
    const pkg = write(packageFiles(c, 'cmake', 'm.onnx'));
    const top = mkdtempSync(join(tmpdir(), 'edgec-cmake-'));
    writeFileSync(join(top, 'CMakeLists.txt'), `cmake_minimum_required(VERSION 3.13)\nproject(t C)\nadd_subdirectory(${pkg} kws)\nadd_executable(app main.c)\ntarget_link_libraries(app PRIVATE kws m)\n`);
    writeFileSync(join(top, 'main.c'), '#include "kws.h"\nint main(void) { return kws_invoke() == EDGEC_OK ? 0 : 1; }\n');
    execFileSync('cmake', ['-S', top, '-B', join(top, 'build')], { stdio: 'ignore' });
    execFileSync('cmake', ['--build', join(top, 'build')], { stdio: 'ignore' });
    execFileSync(join(top, 'build', 'app'));
    const lib = compileModel(MODEL, { name: 'kws', board: 'nano33ble', backend: 'cmsis-nn' });
    expect(byPath(packageFiles(lib, 'cmake', 'm.onnx')).get('CMakeLists.txt')).toMatch(/target_link_libraries\(kws PUBLIC cmsis-nn\)/);
  }, 120_000);

  it('plain: the C files and a README; a format the board does not offer is an EdgecError', () => {
    const m = byPath(packageFiles(portable, 'plain', 'm.onnx'));
    expect(m.has('kws.c') && m.has('README.md')).toBe(true);
    const c: Compiled = compileModel(MODEL, { name: 'kws', board: 'nucleo-f446re' });
    expect(() => packageFiles(c, 'arduino', 'm.onnx')).toThrow(EdgecError);
    expect(() => packageFiles(c, 'zip', 'm.onnx')).toThrow(/unknown --format/);
  });
});
