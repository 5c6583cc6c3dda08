/**
 * Patch-based execution (passes/patch-stage.ts) calls each stage layer once
 * per tile, and tiles of the same shape (all inside the image, or along one
 * border) have the same kernel parameters: each distinct parameter struct of
 * those calls is declared once at file scope and the calls point at it,
 * instead of one `static const` copy per call (80 bytes of flash each).
 */

/** A call as the portable templates render it: `{ static const <T> p = { ... };` then `<kernel>(&p, ...`. */
const LOCAL_PARAMS = /^\{ static const (edgec_\w+_params_t) p = \{ ([^{}]*) \};\s*(\w+)\(&p, /;

export interface SharedParams {
  /** The calls' code, repeated parameter structs replaced by a pointer to the shared one. */
  codes: string[];
  /** File-scope declarations of the shared structs. */
  declarations: string[];
}

/** Shares the parameter structs that two or more `eligible` calls repeat; other calls are left as they are. */
export function shareRepeatedParams(codes: readonly string[], eligible: readonly boolean[], prefix: string): SharedParams {
  const keyOf = (code: string): string | undefined => {
    const m = LOCAL_PARAMS.exec(code);
    return m ? `${m[1]}|${m[2]}` : undefined;
  };
  const counts = new Map<string, number>();
  codes.forEach((code, i) => {
    const key = eligible[i] ? keyOf(code) : undefined;
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  const names = new Map<string, string>();
  const declarations: string[] = [];
  for (const [key, count] of counts) {
    if (count < 2) continue;
    const [type, body] = key.split('|') as [string, string];
    const name = `${prefix}_patch_params_${names.size}`;
    names.set(key, name);
    declarations.push(`static const ${type} ${name} = { ${body} };`);
  }
  const shared = codes.map((code, i) => {
    const key = eligible[i] ? keyOf(code) : undefined;
    const name = key ? names.get(key) : undefined;
    return name ? code.replace(LOCAL_PARAMS, (_all, _type: string, _body: string, kernel: string) => `{ ${kernel}(&${name}, `) : code;
  });
  return { codes: shared, declarations };
}
