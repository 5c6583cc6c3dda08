/**
 * Package formats (`edgec build --format`): the generated C files laid out
 * for the user's build system, plus a README whose snippet says how to add
 * them. plain: the folder of C files. arduino: a library per the Arduino
 * library specification 1.5 with a sketch. platformio: a library with
 * library.json next to a ready project (platformio.ini). espidf: an ESP-IDF
 * component. cmake: a static library target.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';
import type { Compiled } from '../pipeline.js';
import type { Board } from '../boards.js';
import type { Backend } from '../backends/index.js';
import type { MultiModelBuild } from '../multi-model.js';
import type { GeneratedFile } from '../emit/c-emitter.js';
import { EDGEC_VERSION } from '../emit/c-emitter.js';
import { templatesDir } from '../emit/paths.js';
import { EdgecError } from '../errors.js';
import { cCommentText } from '../emit/c-names.js';
import { libraryUsed } from '../backends/index.js';

export const PACKAGE_FORMATS = ['plain', 'arduino', 'platformio', 'espidf', 'cmake'] as const;
export type PackageFormat = (typeof PACKAGE_FORMATS)[number];

const CMSIS_NN_URL = 'https://github.com/ARM-software/CMSIS-NN.git';
const ESP_NN_URL = 'https://github.com/espressif/esp-nn.git';

function template(file: string): Handlebars.TemplateDelegate {
  return Handlebars.compile(readFileSync(join(templatesDir(), 'package', file), 'utf8'), { noEscape: true, strict: true });
}

/**
 * What a package is made of: one model's build or a library of several
 * (compiler/multi-model.ts), its files (C files: model(s), runtime, self-test),
 * and the example sketch the Arduino and PlatformIO layouts carry.
 */
interface Pkg {
  /** The library's name: `<name>.h`, the package, library and target name. */
  name: string;
  board: Board;
  backend: Backend;
  /** The kernel library some layer calls (the package declares it), or none. */
  library: 'cmsis-nn' | 'esp-nn' | undefined;
  arenaBytes: number;
  weightsBytes: number;
  files: GeneratedFile[];
  cFiles: GeneratedFile[];
  sketch: () => string;
  /** For the README: the model file(s), the prefix of the entry points in its snippet and the first input. */
  source: string;
  entry: string;
  inputDesc: string;
  /** Several models: one README line each. */
  models: { entry: string; source: string }[];
}

/** `int <name>_selftest(void)` declared in a generated <name>_selftest.h (edgec build --selftest). */
export function hasSelftest(c: Compiled, extra: GeneratedFile[]): boolean {
  const header = extra.find((f) => f.path === `${c.program.name}_selftest.h`);
  return !!header && new RegExp(`\\bint\\s+${c.program.name}_selftest\\s*\\(\\s*void\\s*\\)`).test(header.contents);
}

const capitalize = (t: string): string => t.charAt(0).toUpperCase() + t.slice(1);

/** The library the package depends on: the one some layer calls (with auto, none when every layer runs our kernels). */
export function libraryDependency(c: Pick<Pkg, 'library'>): 'cmsis-nn' | 'esp-nn' | undefined {
  return c.library;
}

function libraryNote(c: Pkg, format: PackageFormat): string {
  const id = libraryDependency(c);
  if (id === 'cmsis-nn') {
    const how: Record<PackageFormat, string> = {
      plain: 'compile with CMSIS-NN: add its `Include/` to the include path and its `Source/**/*.c` (not `*_f16.c`, `*_f32.c`) to the build.',
      arduino: 'install CMSIS-NN as an Arduino library (copy `Include/*.h` and `Source/**/*.c` of ARM-software/CMSIS-NN into `libraries/CMSIS-NN/src/`), or rebuild with `--backend portable`.',
      platformio: `library.json depends on ${CMSIS_NN_URL}; PlatformIO fetches it on the first build.`,
      espidf: 'CMSIS-NN is for Arm Cortex-M; rebuild with `--backend esp-nn` or `--backend portable` for ESP-IDF.',
      cmake: 'the target links the `cmsis-nn` target of CMSIS-NN\'s own CMakeLists.txt: `add_subdirectory(path/to/CMSIS-NN)` before this folder.',
    };
    return `Layers call CMSIS-NN (${c.backend.target} code path), scratch planned in the arena. ${capitalize(how[format])}`;
  }
  if (id === 'esp-nn') {
    const how: Record<PackageFormat, string> = {
      plain: 'compile with ESP-NN: `include/` and `src/common/` on the include path, `src/**` sources for your chip (ESP-IDF does this for you: `idf.py add-dependency espressif/esp-nn`).',
      arduino: 'the ESP32 Arduino core ships ESP-NN (`esp_nn.h`); with another core rebuild with `--backend portable`.',
      platformio: `library.json depends on ${ESP_NN_URL}; platformio.ini defines CONFIG_NN_OPTIMIZED so the chip's kernels are used.`,
      espidf: 'idf_component.yml depends on espressif/esp-nn; the component manager fetches it on `idf.py build`.',
      cmake: 'the target links an `esp-nn` target (the ESP-IDF component, or your own build of espressif/esp-nn).',
    };
    return `Layers call ESP-NN (${c.backend.target}), scratch planned in the arena. ${capitalize(how[format])}`;
  }
  return '';
}

function usage(c: Pkg, format: PackageFormat): string {
  const n = c.name;
  switch (format) {
    case 'plain':
      return [`Add every \`.c\` file of this folder to your build and the folder to the include path, e.g.`, '```sh', `${c.board.compiler.cc} ${c.board.compiler.flags.join(' ')} -std=c99 -I ${n} ${n}/*.c your_main.c`, '```'].join('\n');
    case 'arduino':
      return [`Copy this folder to your sketchbook's \`libraries/\` (or zip it and use *Sketch > Include Library > Add .ZIP Library*), restart the IDE, then open *File > Examples > ${n} > ${n}*, choose your board (${c.board.name}) and upload. The Serial Monitor (115200 baud) shows the outputs and the time per inference.`].join('\n');
    case 'platformio':
      return ['This folder is a ready PlatformIO project: `pio run -t upload && pio device monitor`.', `To use the model in another project, copy \`lib/${n}/\` into that project's \`lib/\` and \`#include "${n}.h"\`.`].join('\n');
    case 'espidf':
      return [`Copy this folder to your project's \`components/${n}/\` and add \`${n}\` to \`REQUIRES\` of your main component, then \`#include "${n}.h"\` and \`idf.py build\`.`, 'The arena gets `DRAM_ATTR`; weights are `const` and stay in flash (rodata).'].join('\n');
    case 'cmake':
      return ['```cmake', `add_subdirectory(${n})`, `target_link_libraries(your_app PRIVATE ${n})`, '```', `The static library target \`${n}\` compiles with your toolchain's CPU flags (for this board: \`${c.board.compiler.flags.filter((f) => !f.startsWith('-O')).join(' ')}\`).`].join('\n');
  }
}

/** `int8 [1, 49, 10, 1]`: a program's first input, for the README snippet. */
function inputDesc(c: Compiled): string {
  const first = c.program.values.get(c.program.inputs[0] ?? '');
  return first ? `${first.type} [${first.logicalShape.join(', ')}]` : 'no inputs';
}

function readme(c: Pkg, format: PackageFormat): GeneratedFile {
  const n = c.name;
  return {
    path: 'README.md',
    contents: template('README.md.hbs')({
      name: n, NAME: n.toUpperCase(), version: EDGEC_VERSION, source: c.source, board: c.board.id, backend: c.backend.id, target: libraryDependency(c) ? c.backend.target ?? '' : '',
      arenaBytes: c.arenaBytes, weightsBytes: c.weightsBytes, format, entry: c.entry, models: c.models.length ? c.models : false,
      inputDesc: c.inputDesc, libraryNote: libraryNote(c, format), usage: usage(c, format),
    }),
  };
}

const under = (dir: string, files: GeneratedFile[]): GeneratedFile[] => files.map((f) => ({ path: `${dir}/${f.path}`, contents: f.contents }));

function arduino(pkg: Pkg): GeneratedFile[] {
  const c = pkg;
  const n = c.name;
  const props = [
    `name=${n}`, 'version=1.0.0', 'author=edgec', 'maintainer=edgec',
    `sentence=${n}: int8 neural network generated by edgec ${EDGEC_VERSION}.`,
    `paragraph=Static C99, one arena of ${c.arenaBytes} bytes, no malloc. Kernels: ${c.backend.id}.`,
    'category=Data Processing', 'url=https://onnx.ai/', `architectures=${c.board.arduinoArchitectures ?? '*'}`, `includes=${n}.h`,
  ];
  return [
    { path: 'library.properties', contents: `${props.join('\n')}\n` },
    ...under('src', pkg.cFiles),
    { path: `examples/${n}/${n}.ino`, contents: pkg.sketch() },
  ];
}

function libraryJson(c: Pkg): string {
  const lib = libraryDependency(c);
  const deps = lib === 'cmsis-nn' ? [{ name: 'CMSIS-NN', version: CMSIS_NN_URL }] : lib === 'esp-nn' ? [{ name: 'esp-nn', version: ESP_NN_URL }] : [];
  return `${JSON.stringify({
    name: c.name, version: '1.0.0', description: `int8 neural network generated by edgec ${EDGEC_VERSION}`,
    keywords: 'edgec, tinyml, int8', frameworks: '*', platforms: c.board.platformio?.platform ?? '*',
    ...(deps.length ? { dependencies: deps } : {}),
    build: { flags: ['-std=gnu99'] },
  }, null, 2)}\n`;
}

function platformio(pkg: Pkg): GeneratedFile[] {
  const c = pkg;
  const n = c.name;
  const pio = c.board.platformio;
  if (!pio) throw new EdgecError(`board '${c.board.id}' has no PlatformIO board id`, 2, 'use --format plain or cmake');
  const flags = libraryDependency(c) === 'esp-nn' ? ['-DCONFIG_NN_OPTIMIZED'] : [];
  const ini = [
    `; generated by edgec ${EDGEC_VERSION}: ${n} on ${c.board.name}`,
    `[env:${c.board.id}]`, `platform = ${pio.platform}`, `board = ${pio.board}`, `framework = ${pio.framework}`, 'monitor_speed = 115200',
    ...(flags.length ? [`build_flags = ${flags.join(' ')}`] : []),
    '',
  ];
  return [
    { path: 'platformio.ini', contents: ini.join('\n') },
    { path: 'src/main.cpp', contents: pkg.sketch() },
    { path: `lib/${n}/library.json`, contents: libraryJson(c) },
    ...under(`lib/${n}/src`, pkg.cFiles),
  ];
}

/** ESP-NN releases the generated code links against: esp_nn_mean_nhwc_s8 first shipped in 1.2.2. */
export function espNnVersionRange(files: readonly GeneratedFile[]): string {
  return files.some((f) => f.contents.includes('esp_nn_mean_nhwc_s8')) ? '^1.2.2' : '^1.1.0';
}

function espidf(pkg: Pkg): GeneratedFile[] {
  const c = pkg;
  const files = pkg.cFiles;
  const srcs = files.filter((f) => f.path.endsWith('.c')).map((f) => `"${f.path}"`).join(' ');
  const cmake = [
    `# generated by edgec ${EDGEC_VERSION}: ESP-IDF component ${c.name}`,
    // esp-nn comes from idf_component.yml; the component manager adds it to this component's requirements.
    `idf_component_register(SRCS ${srcs}`, '                       INCLUDE_DIRS ".")', '',
  ].join('\n');
  const yml = [
    `# generated by edgec ${EDGEC_VERSION}`, `description: ${c.name} int8 model${c.models.length ? 's' : ''} (edgec)`, 'dependencies:', '  idf: ">=4.4"',
    ...(libraryDependency(c) === 'esp-nn' ? [`  espressif/esp-nn: "${espNnVersionRange(files)}"`] : []), '',
  ].join('\n');
  return [{ path: 'CMakeLists.txt', contents: cmake }, { path: 'idf_component.yml', contents: yml }, ...files];
}

function cmake(pkg: Pkg): GeneratedFile[] {
  const c = pkg;
  const n = c.name;
  const files = pkg.cFiles;
  const lib = libraryDependency(c) ?? '';
  const lines = [
    `# generated by edgec ${EDGEC_VERSION}: static library ${n} (board ${c.board.id}; CPU flags come from your toolchain)`,
    'cmake_minimum_required(VERSION 3.13)',
    `add_library(${n} STATIC`, ...files.filter((f) => f.path.endsWith('.c')).map((f) => `  \${CMAKE_CURRENT_SOURCE_DIR}/${f.path}`), ')',
    `target_include_directories(${n} PUBLIC \${CMAKE_CURRENT_SOURCE_DIR})`,
    `set_target_properties(${n} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON)`,
    ...(lib ? [
      `if(NOT TARGET ${lib})`, `  message(FATAL_ERROR "${n} calls ${lib}: add its target first (see README.md)")`, 'endif()',
      `target_link_libraries(${n} PUBLIC ${lib})`,
    ] : []),
    '',
  ];
  return [{ path: 'CMakeLists.txt', contents: lines.join('\n') }, ...files];
}

function packageFormat(format: string, board: Board): PackageFormat {
  if (!(PACKAGE_FORMATS as readonly string[]).includes(format)) throw new EdgecError(`unknown --format '${format}'`, 2, `formats: ${PACKAGE_FORMATS.join(', ')}`);
  const f = format as PackageFormat;
  if (!board.formats.includes(f)) throw new EdgecError(`board '${board.id}' does not support --format ${f}`, 2, `formats for ${board.id}: ${board.formats.join(', ')}`);
  return f;
}

function layOut(pkg: Pkg, f: PackageFormat): GeneratedFile[] {
  const body = f === 'plain' ? pkg.files : f === 'arduino' ? arduino(pkg) : f === 'platformio' ? platformio(pkg) : f === 'espidf' ? espidf(pkg) : cmake(pkg);
  return [...body, readme(pkg, f)];
}

const isCFile = (x: GeneratedFile): boolean => x.path.endsWith('.c') || x.path.endsWith('.h');

/** Every file of the package, paths relative to the output folder. */
export function packageFiles(c: Compiled, format: string, source: string, extra: GeneratedFile[] = []): GeneratedFile[] {
  const f = packageFormat(format, c.board);
  const all = [...c.emitted.files, ...extra];
  const n = c.program.name;
  const selftest = hasSelftest(c, extra);
  return layOut({
    name: n, board: c.board, backend: c.backend, library: libraryUsed(c.backend, c.program.ops), arenaBytes: c.plan.arenaBytes, weightsBytes: c.emitted.weightsBytes, files: all, cFiles: all.filter(isCFile),
    sketch: () => template('sketch.ino.hbs')({ name: n, NAME: n.toUpperCase(), version: EDGEC_VERSION, selftest }),
    source: cCommentText(source), entry: n, inputDesc: inputDesc(c), models: [],
  }, f);
}

/** Every file of the package of a library of several models (edgec build a.onnx b.onnx), paths relative to the output folder. */
export function packageLibraryFiles(build: MultiModelBuild, format: string): GeneratedFile[] {
  const f = packageFormat(format, build.board);
  const n = build.name;
  const models = build.models.map((m) => ({ entry: m.compiled.program.name, ENTRY: m.compiled.program.name.toUpperCase(), source: cCommentText(basename(m.path)) }));
  const first = build.models[0]!;
  return layOut({
    name: n, board: build.board, backend: build.backend, library: build.models.map((m) => libraryUsed(m.compiled.backend, m.compiled.program.ops)).find((l) => l !== undefined), arenaBytes: build.arenaBytes, weightsBytes: build.weightsBytes, files: build.files, cFiles: build.files.filter(isCFile),
    sketch: () => template('sketch_models.ino.hbs')({ name: n, NAME: n.toUpperCase(), version: EDGEC_VERSION, models }),
    source: models.map((m) => m.source).join(', '), entry: first.compiled.program.name, inputDesc: inputDesc(first.compiled), models,
  }, f);
}
