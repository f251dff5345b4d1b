/** A float32 constant written so that WGSL and WAT read back the same float32 (nine significant digits). */
export const float32Literal = (v: number): string => Math.fround(v).toPrecision(9);
