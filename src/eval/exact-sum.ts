/**
 * An exact sum of doubles: every double is an integer multiple of 2^-1074, so the sum is
 * kept as a BigInt count of those units. Addition is then associative, and a sum over
 * shards merged in any order equals the sum of one run over all images bit for bit,
 * which float addition (order-dependent rounding) cannot promise.
 */
const UNIT_EXPONENT = 1074;
const scratch = new DataView(new ArrayBuffer(8));

export class ExactSum {
  private constructor(private units: bigint) {}

  static zero(): ExactSum {
    return new ExactSum(0n);
  }

  /** A sum serialised by `toJSON`. */
  static parse(text: string): ExactSum {
    if (!/^-?0x[0-9a-f]+$/.test(text)) throw new RangeError(`not an exact sum: "${text}"`);
    return new ExactSum(text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text));
  }

  add(value: number): this {
    this.units += unitsOf(value);
    return this;
  }

  merge(other: ExactSum): this {
    this.units += other.units;
    return this;
  }

  /** The sum rounded to the nearest double. */
  value(): number {
    return toNumber(this.units);
  }

  /** Hex count of 2^-1074 units: exact, and the same text for the same sum. */
  toJSON(): string {
    return this.units < 0n ? `-0x${(-this.units).toString(16)}` : `0x${this.units.toString(16)}`;
  }
}

/** `value` as a count of 2^-1074 units (exact for every finite double). */
function unitsOf(value: number): bigint {
  if (!Number.isFinite(value)) throw new RangeError(`cannot sum ${value} exactly`);
  scratch.setFloat64(0, value);
  const bits = scratch.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  const magnitude = exponent === 0 ? fraction : (fraction | (1n << 52n)) << BigInt(exponent - 1);
  return bits >> 63n ? -magnitude : magnitude;
}

/** units * 2^-1074, correctly rounded for normal results (the top 64 bits with a sticky bit, then one exact scaling). */
function toNumber(units: bigint): number {
  if (units === 0n) return 0;
  const magnitude = units < 0n ? -units : units;
  const shift = Math.max(0, magnitude.toString(2).length - 64);
  let top = magnitude >> BigInt(shift);
  if (shift > 0 && (magnitude & ((1n << BigInt(shift)) - 1n)) !== 0n) top |= 1n;
  let result = Number(top);
  // Scale by 2^(shift - 1074) in steps that stay normal.
  let exponent = shift - UNIT_EXPONENT;
  while (exponent < -1000) {
    result *= 2 ** -1000;
    exponent += 1000;
  }
  result *= 2 ** exponent;
  return units < 0n ? -result : result;
}
