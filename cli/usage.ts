/** A command line that does not parse; main prints the message and the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function requireValue(value: string | undefined, what: string, usage: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing ${what}\nusage: ${usage}`);
  return value;
}

export function parseNumber(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`${what} must be a number, got "${value}"`);
  return n;
}
