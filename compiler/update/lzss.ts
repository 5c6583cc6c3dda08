/**
 * LZSS with a 256-byte window, decoded on the device by edgec_update.c in
 * 256 bytes of RAM. Stream: a flag byte announces the next 8 items, least
 * significant bit first; 1 = one literal byte, 0 = a back reference of two
 * bytes (distance - 1, length - 3): copy `length` bytes from `distance` back.
 */
export const WINDOW = 256;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
const MAX_CHAIN = 64;

const hash3 = (d: Uint8Array, i: number): number => ((d[i] << 8) ^ (d[i + 1] << 4) ^ d[i + 2]) & 0xffff;

export function lzssCompress(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  const head = new Int32Array(65536).fill(-1);
  const prev = new Int32Array(data.length).fill(-1);
  let flagPos = -1;
  let flagBit = 8;
  const item = (literal: boolean, bytes: number[]): void => {
    if (flagBit === 8) { flagPos = out.length; out.push(0); flagBit = 0; }
    if (literal) out[flagPos] |= 1 << flagBit;
    flagBit++;
    out.push(...bytes);
  };
  const insert = (i: number): void => {
    if (i + MIN_MATCH > data.length) return;
    const h = hash3(data, i);
    prev[i] = head[h];
    head[h] = i;
  };
  let i = 0;
  while (i < data.length) {
    let bestLen = 0;
    let bestDist = 0;
    if (i + MIN_MATCH <= data.length) {
      let cand = head[hash3(data, i)];
      for (let steps = 0; cand >= 0 && i - cand <= WINDOW && steps < MAX_CHAIN; steps++, cand = prev[cand]) {
        let len = 0;
        // the match may overlap the bytes it produces (runs), as the decoder copies byte by byte
        while (len < MAX_MATCH && i + len < data.length && data[cand + len] === data[i + len]) len++;
        if (len > bestLen) { bestLen = len; bestDist = i - cand; }
      }
    }
    if (bestLen >= MIN_MATCH) {
      item(false, [bestDist - 1, bestLen - MIN_MATCH]);
      for (let k = 0; k < bestLen; k++) insert(i + k);
      i += bestLen;
    } else {
      item(true, [data[i]]);
      insert(i);
      i++;
    }
  }
  return Uint8Array.from(out);
}

/** Reference decoder (the C one in runtime-c/edgec_update.c streams the same way). */
export function lzssDecompress(body: Uint8Array): Uint8Array {
  const out: number[] = [];
  let p = 0;
  while (p < body.length) {
    const flags = body[p++];
    for (let bit = 0; bit < 8 && p < body.length; bit++) {
      if (flags & (1 << bit)) { out.push(body[p++]); continue; }
      if (p + 2 > body.length) throw new Error('lzss: truncated back reference');
      const dist = body[p++] + 1;
      const len = body[p++] + MIN_MATCH;
      if (dist > out.length) throw new Error('lzss: reference before the start');
      for (let k = 0; k < len; k++) out.push(out[out.length - dist]);
    }
  }
  return Uint8Array.from(out);
}
