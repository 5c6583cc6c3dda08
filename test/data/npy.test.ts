/** The .npy reader against files numpy wrote (committed examples) and hand-made edge cases. */
import { describe, expect, it } from 'vitest';
import { parseNpy, readNpy } from '../../compiler/data/npy.js';

function npyBytes(descr: string, shape: number[], payload: Uint8Array, fortran = false): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + payload.length);
  out.set([0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0)), 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Array.from(header, (c) => c.charCodeAt(0)), 10);
  out.set(payload, 10 + header.length);
  return out;
}

describe('npy reader', () => {
  it('reads numpy-written float32 calibration data', () => {
    const a = readNpy('examples/digits/calibration.npy');
    expect(a.dtype).toBe('float32');
    expect(a.shape).toEqual([64, 1, 8, 8]);
    const v = Array.from(a.data as Float32Array);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
  });

  it('reads int32 labels', () => {
    const y = readNpy('examples/digits/test_y.npy');
    expect(y.dtype).toBe('int32');
    expect(y.shape).toEqual([450]);
    expect(new Set(Array.from(y.data as Int32Array)).size).toBe(10);
  });

  it('decodes values exactly, for each dtype', () => {
    const f = new Float32Array([1.5, -2, 3.25]);
    expect(Array.from(parseNpy(npyBytes('<f4', [3], new Uint8Array(f.buffer))).data as Float32Array)).toEqual([1.5, -2, 3.25]);
    const i8 = new Int8Array([-128, 0, 127, 5]);
    const a = parseNpy(npyBytes('|i1', [2, 2], new Uint8Array(i8.buffer)));
    expect(a.shape).toEqual([2, 2]);
    expect(Array.from(a.data as Int8Array)).toEqual([-128, 0, 127, 5]);
    expect(parseNpy(npyBytes('<f4', [], new Uint8Array(new Float32Array([7]).buffer))).shape).toEqual([]);
  });

  it('rejects what it cannot read, naming the file', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3]), 'x.npy')).toThrow(/x\.npy: not a readable \.npy file: bad magic/);
    expect(() => parseNpy(npyBytes('>f4', [1], new Uint8Array(4)), 'be.npy')).toThrow(/unsupported dtype '>f4'/);
    expect(() => parseNpy(npyBytes('<f4', [2, 2], new Uint8Array(16), true), 'f.npy')).toThrow(/Fortran/);
    expect(() => parseNpy(npyBytes('<f4', [10], new Uint8Array(8)), 't.npy')).toThrow(/truncated/);
  });
});
