import fc from 'fast-check';

/**
 * A small fuzzing harness for the file readers: seeded byte-level mutations of real
 * files (bit flips, truncation, length fields set to huge values, duplicated and
 * reordered byte ranges), and a check that every case ends in a result or one of the
 * reader's typed errors with a readable message, within a time bound, without any
 * single allocation larger than the input justifies.
 *
 * Case count and seed come from the environment so CI and `npm run fuzz -- --cases N`
 * run the same suites: KMAX_FUZZ_CASES (default 2000) and KMAX_FUZZ_SEED (default fixed).
 */

export const FUZZ_CASES = positiveInt(process.env.KMAX_FUZZ_CASES, 2000);
export const FUZZ_SEED = positiveInt(process.env.KMAX_FUZZ_SEED, 20261205);

/** A test's timeout for `cases` cases at `msPerCase` (generous: the machine is shared). */
export function fuzzTimeout(cases = FUZZ_CASES, msPerCase = 100): number {
  return 60_000 + cases * msPerCase;
}

export interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Offsets of known length/size fields, where "huge length" mutations aim half of the time. */
  readonly fields?: readonly number[];
}

/** One mutation, as data: applied to a copy, and printed when a case fails. */
export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'huge'; readonly at: number; readonly width: 1 | 2 | 4 | 8; readonly value: 'max' | 'signed' | 'high' | 'mid' }
  | { readonly kind: 'duplicate'; readonly from: number; readonly length: number; readonly to: number }
  | { readonly kind: 'swap'; readonly a: number; readonly b: number; readonly length: number }
  | { readonly kind: 'byte'; readonly at: number; readonly value: number };

export interface FuzzCase {
  readonly seed: string;
  readonly mutations: readonly Mutation[];
  readonly bytes: Uint8Array;
}

/**
 * Positions are fractions of the file size so one arbitrary fits every seed. Uniform over
 * [0, 1): fc.double draws evenly over float bit patterns, which put 93% of positions in the
 * file's first thousandth (the magic number), and fast-check's size bias would too.
 */
const fraction = fc.noBias(fc.nat({ max: 2 ** 32 - 1 })).map((n) => n / 2 ** 32);

const mutationShape = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fraction, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fraction }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('huge' as const),
      at: fraction,
      field: fc.boolean(),
      width: fc.constantFrom(1 as const, 2 as const, 4 as const, 8 as const),
      value: fc.constantFrom('max' as const, 'signed' as const, 'high' as const, 'mid' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), from: fraction, length: fraction, to: fraction }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('swap' as const), a: fraction, b: fraction, length: fraction }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('byte' as const), at: fraction, value: fc.integer({ min: 0, max: 255 }) }) },
);

/** Mutated copies of the seeds: one to three stacked mutations each. */
export function mutatedFile(seeds: readonly Seed[]): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(mutationShape, { minLength: 1, maxLength: 3 }))
    .map(([which, shapes]) => {
      const seed = seeds[which];
      let bytes = seed.bytes;
      const mutations: Mutation[] = [];
      for (const shape of shapes) {
        const mutation = concrete(shape, bytes.byteLength, seed.fields);
        bytes = applyMutation(bytes, mutation);
        mutations.push(mutation);
      }
      // Failures print the seed and the mutations, not megabytes of file.
      return { seed: seed.name, mutations, bytes, [fc.toStringMethod]: () => `${seed.name} with ${JSON.stringify(mutations)}` };
    });
}

type MutationShape = typeof mutationShape extends fc.Arbitrary<infer T> ? T : never;

/** Byte-range lengths are drawn small (up to 1/8 of the file, at most 4 KB): records, not halves. */
function concrete(shape: MutationShape, size: number, fields: readonly number[] | undefined): Mutation {
  const at = (f: number) => Math.floor(f * size);
  const span = (f: number) => 1 + Math.floor(f * Math.min(4096, Math.max(1, size >> 3)));
  switch (shape.kind) {
    case 'flip':
      return { kind: 'flip', at: at(shape.at), bit: shape.bit };
    case 'truncate':
      return { kind: 'truncate', at: at(shape.at) };
    case 'huge': {
      const target = shape.field && fields !== undefined && fields.length > 0 ? fields[Math.floor(shape.at * fields.length)] : at(shape.at);
      return { kind: 'huge', at: target, width: shape.width, value: shape.value };
    }
    case 'duplicate':
      return { kind: 'duplicate', from: at(shape.from), length: span(shape.length), to: at(shape.to) };
    case 'swap':
      return { kind: 'swap', a: at(shape.a), b: at(shape.b), length: span(shape.length) };
    case 'byte':
      return { kind: 'byte', at: at(shape.at), value: shape.value };
  }
}

export function applyMutation(input: Uint8Array, m: Mutation): Uint8Array {
  const size = input.byteLength;
  switch (m.kind) {
    case 'flip': {
      const out = input.slice();
      if (m.at < size) out[m.at] ^= 1 << m.bit;
      return out;
    }
    case 'truncate':
      return input.slice(0, m.at);
    case 'huge': {
      const out = input.slice();
      for (let i = 0; i < m.width && m.at + i < size; i++) out[m.at + i] = hugeByte(m.value, i, m.width);
      return out;
    }
    case 'duplicate': {
      const piece = input.subarray(m.from, Math.min(size, m.from + m.length));
      const out = new Uint8Array(size + piece.byteLength);
      out.set(input.subarray(0, m.to), 0);
      out.set(piece, m.to);
      out.set(input.subarray(m.to), m.to + piece.byteLength);
      return out;
    }
    case 'swap': {
      const out = input.slice();
      const [a, b] = m.a <= m.b ? [m.a, m.b] : [m.b, m.a];
      const length = Math.min(m.length, b - a, size - b);
      if (length <= 0) return out;
      out.set(input.subarray(b, b + length), a);
      out.set(input.subarray(a, a + length), b);
      return out;
    }
    case 'byte': {
      const out = input.slice();
      if (m.at < size) out[m.at] = m.value;
      return out;
    }
  }
}

/**
 * Byte `i` of a `width`-byte huge value. Little-endian: the low bytes 0xff and the top byte
 * sets the magnitude (0x7f.. or 0x80..); 'mid' is 0x40 in the second byte from the end,
 * a big but plausible size either way round (16384 big-endian in 4 bytes, 4 Mi little-endian).
 */
function hugeByte(value: 'max' | 'signed' | 'high' | 'mid', i: number, width: number): number {
  if (value === 'mid') return i === Math.max(0, width - 2) ? 0x40 : 0;
  return i === width - 1 ? { max: 0xff, signed: 0x7f, high: 0x80 }[value] : 0xff;
}

export interface OutcomeRules {
  /** Our typed errors for this reader. */
  readonly isTyped: (error: unknown) => boolean;
  /** Wall-clock bound per case (the machine is shared: generous, but a hang fails). */
  readonly timeMs?: number;
  /**
   * The largest single allocation allowed is this many times the input's size, plus 1 MB
   * (default 8: views, unaligned copies, widened bfloat16; images: the compression ratio).
   */
  readonly allocationFactor?: number;
}

/** What happened in one case. */
export type Outcome = { readonly kind: 'result' } | { readonly kind: 'error'; readonly name: string };

/** Tallies outcomes across a suite, for the printed summary. */
export class FuzzTally {
  private readonly counts = new Map<string, number>();
  private readonly started = performance.now();
  cases = 0;

  add(outcome: Outcome): void {
    this.cases++;
    const key = outcome.kind === 'result' ? 'result' : outcome.name;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  summary(reader: string): string {
    const parts = [...this.counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
    const seconds = (performance.now() - this.started) / 1000;
    return `fuzz ${reader}: ${this.cases} cases in ${seconds.toFixed(1)} s (seed ${FUZZ_SEED}), 0 untyped: ${parts.join(', ')}`;
  }
}

/** Thrown by the allocation guard instead of allocating: the reader trusted a declared size. */
export class AllocationLimitError extends Error {
  override readonly name = 'AllocationLimitError';
}

/**
 * Runs one case and throws (failing the property) unless it ends in a result or a
 * typed error with a readable message, in time, within the allocation bound.
 */
export async function checkOutcome<T>(
  input: { readonly bytes: Uint8Array } | { readonly byteLength: number },
  run: () => T | Promise<T>,
  rules: OutcomeRules,
): Promise<Outcome> {
  const inputBytes = 'bytes' in input ? input.bytes.byteLength : input.byteLength;
  const limit = (rules.allocationFactor ?? 8) * inputBytes + (1 << 20);
  const timeMs = rules.timeMs ?? 5000;
  const started = performance.now();
  let outcome: Outcome;
  const guard = { refused: undefined as AllocationLimitError | undefined };
  try {
    await withAllocationLimit(limit, guard, run);
    outcome = { kind: 'result' };
  } catch (error) {
    if (error instanceof AllocationLimitError || !rules.isTyped(error)) throw error;
    // A reader that wraps every error would turn the refused allocation into a typed one.
    if (guard.refused !== undefined) throw guard.refused;
    assertReadable(error as Error);
    outcome = { kind: 'error', name: (error as Error).name };
  }
  const elapsed = performance.now() - started;
  if (elapsed > timeMs) throw new Error(`the case took ${elapsed.toFixed(0)} ms (bound ${timeMs} ms)`);
  return outcome;
}

/** A message a user can act on: a sentence, not "undefined" or an object dump. */
export function assertReadable(error: Error): void {
  const message = error.message;
  if (message.length < 15 || /\bundefined\b|\[object |NaN/.test(message)) {
    throw new Error(`${error.name} has an unreadable message: ${JSON.stringify(message)}`);
  }
}

const TYPED_ARRAYS = [
  'ArrayBuffer',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

type Constructors = Record<(typeof TYPED_ARRAYS)[number], { new (...args: unknown[]): unknown; BYTES_PER_ELEMENT?: number }>;

/**
 * While `run` runs, `new ArrayBuffer(n)` and `new XArray(n | arrayLike)` (as the readers
 * write them) throw AllocationLimitError instead of allocating more than `limit` bytes.
 * Views over an existing buffer allocate nothing and pass. Libraries that captured the
 * constructors before (Buffer, fflate) are not seen.
 */
async function withAllocationLimit<T>(limit: number, guard: { refused?: AllocationLimitError }, run: () => T | Promise<T>): Promise<T> {
  const refuse = (what: string, bytes: number): void => {
    // A length is converted by ToIndex: NaN allocates nothing (a negative one throws RangeError itself).
    if (Number.isNaN(bytes) || bytes <= limit) return;
    guard.refused = new AllocationLimitError(`${what}: ${bytes} bytes, above the bound of ${limit} bytes for this input`);
    throw guard.refused;
  };
  const global = globalThis as unknown as Constructors;
  const originals = TYPED_ARRAYS.map((name) => [name, global[name]] as const);
  const buffer = { alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow };
  for (const key of Object.keys(buffer) as (keyof typeof buffer)[]) {
    const original = buffer[key];
    Buffer[key] = ((size: number, ...rest: unknown[]) => {
      refuse(`Buffer.${key}(${size})`, size);
      return (original as (...a: unknown[]) => Buffer)(size, ...rest);
    }) as never;
  }
  for (const [name, original] of originals) {
    const element = original.BYTES_PER_ELEMENT ?? 1;
    const proxy: typeof original = new Proxy(original, {
      construct(target, args, newTarget): object {
        const first = args[0] as unknown;
        const count =
          typeof first === 'number'
            ? first
            : first !== null && typeof first === 'object' && !(first instanceof ArrayBuffer) && !(first instanceof SharedArrayBuffer)
              ? Number((first as { length?: number }).length ?? 0)
              : 0;
        refuse(`new ${name}(${count})`, count * element);
        return Reflect.construct(target, args, newTarget === proxy ? target : newTarget) as object;
      },
    });
    global[name] = proxy;
  }
  try {
    return await run();
  } finally {
    for (const [name, original] of originals) global[name] = original;
    Object.assign(Buffer, buffer);
  }
}

/** fast-check parameters shared by every suite. */
export function fuzzParameters(cases = FUZZ_CASES): fc.Parameters<unknown> {
  return { numRuns: cases, seed: FUZZ_SEED, endOnFailure: true };
}

function positiveInt(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got "${text}"`);
  return n;
}
