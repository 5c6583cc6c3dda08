/**
 * The cut-tensor wire format: the C encoder (runtime-c/split/edgec_wire.c,
 * strict gcc) on synthetic tensors, read back by the TS decoder and by the
 * shipped Python decoder (edgec_wire.py); damaged packets refused by both
 * with the same reason; the C encoder's status when the buffer is too small.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { STRICT_FLAGS } from '../../compiler/verify/native.js';
import { crc32 } from '../../compiler/update/format.js';
import { decodeWire, dequantizeWire, encodeWire, wireHeaderBytes, WIRE_FLAG_LZSS } from '../../compiler/split/wire.js';
import { pythonDecode, runOk } from './helpers.js';

const N = 3000;
const DIMS = [1, 3, 20, 50];
const SCALE = 0.0625;
const ZERO_POINT = -7;
const EDGEC_WIRE_OK = 0;
const EDGEC_WIRE_BUFFER_TOO_SMALL = 1;

/** The values wire_test.c encodes for each pattern. */
function pattern(p: number): Int8Array {
  let x = 12345;
  return Int8Array.from({ length: N }, (_, i) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return p === 1 ? (i % 97) - 48 : p === 2 ? (x >>> 24) << 24 >> 24 : 0;
  });
}

interface Encoded { status: number; packet: Uint8Array }

async function runCEncoder(cap: number): Promise<Encoded[]> {
  const work = mkdtempSync(join(tmpdir(), 'edgec-wire-'));
  const exe = join(work, 'wire_test');
  await runOk('gcc', [...STRICT_FLAGS, '-O2', '-I', resolve('runtime-c'), '-I', resolve('runtime-c/split'), resolve('test/split/wire_test.c'), resolve('runtime-c/split/edgec_wire.c'), '-o', exe]);
  await runOk(exe, [join(work, 'out.bin'), String(cap)]);
  const all = readFileSync(join(work, 'out.bin'));
  const out: Encoded[] = [];
  for (let o = 0; o < all.length;) {
    const len = all.readUInt32LE(o + 4);
    out.push({ status: all.readInt32LE(o), packet: new Uint8Array(all.subarray(o + 8, o + 8 + len)) });
    o += 8 + len;
  }
  return out;
}

/** A packet with its CRC made valid again after an edit (so the check under test is the one that fires). */
function reseal(packet: Uint8Array): Uint8Array {
  const p = Uint8Array.from(packet);
  const body = p.length - 4;
  new DataView(p.buffer).setUint32(body, crc32(p.subarray(0, body)), true);
  return p;
}

const good = encodeWire({ dims: DIMS, scale: SCALE, zeroPoint: ZERO_POINT, values: pattern(1) }, true);
const header = wireHeaderBytes(DIMS.length);
const damaged: [string, Uint8Array, RegExp][] = [
  ['bad magic', reseal(Uint8Array.from(good, (b, i) => (i === 0 ? 0x58 : b))), /bad magic/],
  ['version 2', reseal(Uint8Array.from(good, (b, i) => (i === 4 ? 2 : b))), /unsupported version 2/],
  ['unknown flag', reseal(Uint8Array.from(good, (b, i) => (i === 5 ? 0x81 : b))), /unknown flags 0x81/],
  ['dtype 2', reseal(Uint8Array.from(good, (b, i) => (i === 6 ? 2 : b))), /unsupported dtype 2/],
  ['rank 0', reseal(Uint8Array.from(good, (b, i) => (i === 7 ? 0 : b))), /rank 0 outside/],
  ['5 bytes', good.subarray(0, 5), /truncated: 5 bytes/],
  ['header cut', good.subarray(0, header - 1), /truncated: .* the header alone needs/],
  ['last byte missing', good.subarray(0, good.length - 1), /truncated: .* the header announces/],
  ['trailing byte', Uint8Array.from([...good, 0]), /1 bytes after the end/],
  ['payload bit flip', Uint8Array.from(good, (b, i) => (i === header + 3 ? b ^ 0x10 : b)), /CRC mismatch/],
  ['dims that do not match', encodeWire({ dims: [2, 2], scale: SCALE, zeroPoint: 0, values: new Int8Array(5) }, false), /length mismatch: 5 values for dims \[2, 2\] \(4\)/],
  // flags say LZSS, the payload's first item references before the start
  ['bad LZSS', reseal(Uint8Array.from(encodeWire({ dims: [3], scale: SCALE, zeroPoint: 0, values: Int8Array.of(9, 9, 9) }, false), (b, i) => (i === 5 ? WIRE_FLAG_LZSS : i === header ? 0 : b))), /bad compressed payload/],
];

describe('split: wire format', () => {
  it('C encoder -> TS and Python decoders, raw and LZSS, round trip', async () => {
    const encoded = await runCEncoder(100);
    expect(encoded.length).toBe(8);
    const packets = encoded.slice(0, 6);
    const python = await pythonDecode(resolve('templates/split'), packets.map((e) => e.packet));
    packets.forEach((e, k) => {
      const p = Math.floor(k / 2);
      const compress = k % 2 === 1;
      expect(e.status).toBe(EDGEC_WIRE_OK);
      const d = decodeWire(e.packet);
      expect(d.dims).toEqual(DIMS);
      expect(d.scale).toBe(SCALE);
      expect(d.zeroPoint).toBe(ZERO_POINT);
      expect(Array.from(d.values)).toEqual(Array.from(pattern(p)));
      // random data does not compress: the encoder falls back to the raw payload
      expect(d.compressed).toBe(compress && p !== 2);
      // the TS encoder (split-advisor's sizes) writes the same bytes as the C one, compressed or not
      expect(Array.from(e.packet)).toEqual(Array.from(encodeWire({ dims: DIMS, scale: SCALE, zeroPoint: ZERO_POINT, values: pattern(p) }, compress)));
      expect(python[k]).toEqual(dequantizeWire(d));
    });
    // compression pays on runs and repeats
    expect(packets[1].packet.length).toBeLessThan(100);
    expect(packets[3].packet.length).toBeLessThan(N / 4);
  });

  it('C encoder: a buffer too small for the packet is a status, not an overrun', async () => {
    const small = (await runCEncoder(100)).slice(6);
    // raw zeros need 3,040 bytes; compressed they fit in 100
    expect(small[0]).toEqual({ status: EDGEC_WIRE_BUFFER_TOO_SMALL, packet: new Uint8Array(0) });
    expect(small[1].status).toBe(EDGEC_WIRE_OK);
    expect(Array.from(decodeWire(small[1].packet).values)).toEqual(Array.from(pattern(0)));
    const tiny = (await runCEncoder(10)).slice(6);
    expect(tiny.map((e) => [e.status, e.packet.length])).toEqual([[EDGEC_WIRE_BUFFER_TOO_SMALL, 0], [EDGEC_WIRE_BUFFER_TOO_SMALL, 0]]);
  });

  it('damaged packets are refused by both decoders with the same reason', async () => {
    const python = await pythonDecode(resolve('templates/split'), damaged.map(([, p]) => p));
    damaged.forEach(([what, packet, reason], k) => {
      expect(() => decodeWire(packet), what).toThrow(reason);
      expect(python[k], what).toMatch(new RegExp(`^ValueError: edgec wire packet: ${reason.source}`));
    });
  });
});
