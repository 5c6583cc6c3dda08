/**
 * One entry point for model files: a .tflite (recognised by its FlatBuffer
 * file identifier "TFL3" at bytes 4..8, whatever its extension) goes to the
 * TFLite front end, anything else to the ONNX one. Both return the same IR.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { Graph } from './ir/graph.js';
import { EdgecError } from './errors.js';
import { loadModel, loadModelBytes, type LoadOptions } from './onnx/load.js';
import { loadTflite, loadTfliteBytes } from './tflite/import.js';
import { isTfliteBytes } from './tflite/schema.js';

/** True when `path` is a file that starts like a .tflite FlatBuffer. */
export function isTfliteFile(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isFile()) return false;
  const head = new Uint8Array(8);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, 8, 0) === 8 && isTfliteBytes(head);
  } finally {
    closeSync(fd);
  }
}

function rejectShapes(path: string, options: LoadOptions): void {
  const names = Object.keys(options.shapes ?? {});
  if (names.length > 0) throw new EdgecError(`--shape ${names[0]}: ${path} is a TFLite model, whose shapes are all static`, 2);
}

export function loadModelFile(path: string, options: LoadOptions = {}): Graph {
  if (isTfliteFile(path)) {
    rejectShapes(path, options);
    return loadTflite(path);
  }
  return loadModel(path, options);
}

export function loadModelFileBytes(bytes: Uint8Array, fileName: string, options: LoadOptions = {}): Graph {
  if (isTfliteBytes(bytes)) {
    rejectShapes(fileName, options);
    return loadTfliteBytes(bytes, fileName);
  }
  return loadModelBytes(bytes, { ...options, fileName });
}
