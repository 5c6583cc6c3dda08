/** shareRepeatedParams (emit/shared-params.ts): repeated parameter structs of patch-stage calls become one file-scope struct. */
import { describe, expect, it } from 'vitest';
import { shareRepeatedParams } from '../../compiler/emit/shared-params.js';

const call = (params: string, out: number): string =>
  `{ static const edgec_conv_params_t p = { ${params} };\n    edgec_conv_s8(&p, in, f, b, m, s, ((int8_t *)(arena + ${out}))); }`;

describe('shareRepeatedParams', () => {
  it('shares structs two or more eligible calls repeat, leaves unique and ineligible calls alone', () => {
    const codes = [call('1, 2, 3', 0), call('1, 2, 3', 16), call('4, 5, 6', 32), call('1, 2, 3', 48)];
    const r = shareRepeatedParams(codes, [true, true, true, false], 'm');
    expect(r.declarations).toEqual(['static const edgec_conv_params_t m_patch_params_0 = { 1, 2, 3 };']);
    expect(r.codes[0]).toBe('{ edgec_conv_s8(&m_patch_params_0, in, f, b, m, s, ((int8_t *)(arena + 0))); }');
    expect(r.codes[1]).toBe('{ edgec_conv_s8(&m_patch_params_0, in, f, b, m, s, ((int8_t *)(arena + 16))); }');
    expect(r.codes[2]).toBe(codes[2]);
    expect(r.codes[3]).toBe(codes[3]);
  });

  it('leaves calls without a local parameter struct as they are', () => {
    const copy = 'edgec_copy_window_s8(a, 96, 0, 0, b, 24, 0, 0, 4, 4, 16);';
    expect(shareRepeatedParams([copy, copy], [true, true], 'm')).toEqual({ codes: [copy, copy], declarations: [] });
  });
});
