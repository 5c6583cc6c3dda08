/**
 * Every problem a user can cause is an EdgecError: the CLI prints its one-line
 * message (plus an optional hint) and exits with its code, never a stack trace.
 * Exit codes follow design.md: 1 verification failure, 2 bad input or usage.
 */
export class EdgecError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 2, readonly hint?: string) {
    super(message);
    this.name = 'EdgecError';
  }
}

/** "model.onnx: node 'conv1' (Conv): reason" — the shape of every model error. */
export function modelError(file: string, node: { name: string; opType: string } | undefined, reason: string, hint?: string): EdgecError {
  const where = node ? `node '${node.name}' (${node.opType}): ` : '';
  return new EdgecError(`${file}: ${where}${reason}`, 2, hint);
}
