/**
 * The buffers behind every typed array in `value` (nested objects, arrays and
 * maps included), so that results move to the other thread instead of being
 * copied. Each buffer is listed once; shared buffers cannot be transferred.
 */
export function transferablesOf(value: unknown): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  collect(value, buffers, new Set());
  return [...buffers];
}

function collect(value: unknown, buffers: Set<ArrayBuffer>, seen: Set<object>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) buffers.add(value.buffer);
    return;
  }
  if (value instanceof ArrayBuffer) {
    buffers.add(value);
    return;
  }
  const children = value instanceof Map ? value.values() : Object.values(value);
  for (const child of children) collect(child, buffers, seen);
}
