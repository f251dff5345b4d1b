import { backend_util } from '@tensorflow/tfjs-core';
import { float32Literal } from './float-literal';

const ERF_POLY = [backend_util.ERF_A5, backend_util.ERF_A4, backend_util.ERF_A3, backend_util.ERF_A2, backend_util.ERF_A1];
/** Cephes' expf polynomial on [-ln2/2, ln2/2], highest degree first. */
const EXP_POLY = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** Vectors in flight per loop turn: independent chains, so the long latency chain of one vector does not bound the loop. */
const UNROLL = 4;
const LOCALS = ['x', 'a', 'aa', 't', 'p', 'n', 'r', 'e'];

/** A constant splat over four lanes, as a global: one copy in the module, however many times the code reads it. */
type Constant = (value: number) => string;

/** GELU of the vector in $x{k}, left in $x{k}: each step one statement, so that the unrolled copies interleave. */
function geluSteps(k: number, vec: Constant): string[] {
  const v = (name: string) => `(local.get $${name}${k})`;
  const set = (name: string, value: string) => `(local.set $${name}${k} ${value})`;
  return [
    set('a', `(f32x4.mul ${v('x')} ${vec(Math.SQRT1_2)})`),
    set('aa', `(f32x4.abs ${v('a')})`),
    set('t', `(f32x4.div ${vec(1)} (f32x4.add ${vec(1)} (f32x4.mul ${vec(backend_util.ERF_P)} ${v('aa')})))`),
    set('p', vec(ERF_POLY[0])),
    ...ERF_POLY.slice(1).map((c) => set('p', `(f32x4.add (f32x4.mul ${v('p')} ${v('t')}) ${vec(c)})`)),
    set('p', `(f32x4.mul ${v('p')} ${v('t')})`),
    // exp(-a*a), clamped where it would underflow: -a*a = n ln2 + r, exp(r) by the polynomial, 2^n by exponent bits.
    set('r', `(f32x4.max (f32x4.neg (f32x4.mul ${v('aa')} ${v('aa')})) ${vec(-87.33654)})`),
    set('n', `(f32x4.nearest (f32x4.mul ${v('r')} ${vec(Math.LOG2E)}))`),
    set('r', `(f32x4.sub (f32x4.sub ${v('r')} (f32x4.mul ${v('n')} ${vec(0.693359375)})) (f32x4.mul ${v('n')} ${vec(-2.12194440e-4)}))`),
    set('e', vec(EXP_POLY[0])),
    ...EXP_POLY.slice(1).map((c) => set('e', `(f32x4.add (f32x4.mul ${v('e')} ${v('r')}) ${vec(c)})`)),
    set('e', `(f32x4.add (f32x4.add (f32x4.mul ${v('e')} (f32x4.mul ${v('r')} ${v('r')})) ${v('r')}) ${vec(1)})`),
    set('e', `(f32x4.mul ${v('e')} (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s ${v('n')}) (i32x4.splat (i32.const 127))) (i32.const 23)))`),
    // erf(a) = sign(a) (1 - p e); GELU = (x 0.5) (erf + 1), in the composite's order.
    set(
      'x',
      `(f32x4.mul (f32x4.mul ${v('x')} ${vec(0.5)}) (f32x4.add (v128.or (f32x4.sub ${vec(1)} (f32x4.mul ${v('p')} ${v('e')})) (v128.and ${v('a')} (i32x4.splat (i32.const 0x80000000)))) ${vec(1)}))`,
    ),
  ];
}

/** The steps of vectors 0..count-1, step by step across the vectors. */
function interleaved(count: number, vec: Constant): string {
  const steps = Array.from({ length: count }, (_, k) => geluSteps(k, vec));
  return steps[0].flatMap((_, s) => steps.map((vector) => vector[s])).join('\n      ');
}

/** The address of element $i + offset of the array at `base`. */
const at = (base: '$src' | '$dst', offset: number) => `(i32.add (local.get ${base}) (i32.shl (i32.add (local.get $i) (i32.const ${offset})) (i32.const 2)))`;

/**
 * The text of the wasm GELU kernel (src/backend/wasm-gelu.ts), in tfjs-backend-wasm's own
 * memory: tfjs's erf is scalar with a libm exp; this one runs four lanes at a time, four vectors
 * in flight, with Cephes' exp polynomial. Same erf as tfjs (Abramowitz-Stegun 7.1.26, tfjs's
 * constants, 1.5e-7). `shared` for the threaded build, whose memory is a SharedArrayBuffer.
 * scripts/build-wasm-kernels.ts assembles it into wasm-gelu.bytes.ts.
 */
export function geluWat(shared: boolean): string {
  const locals = Array.from({ length: UNROLL }, (_, k) => LOCALS.map((name) => `(local $${name}${k} v128)`).join(' ')).join('\n    ');
  const lanes = 4 * UNROLL;
  const constants = new Map<string, number>();
  const vec: Constant = (value) => {
    const literal = float32Literal(value);
    if (!constants.has(literal)) constants.set(literal, constants.size);
    return `(global.get $c${constants.get(literal)})`;
  };
  const turn = interleaved(UNROLL, vec);
  const tail = interleaved(1, vec);
  const globals = [...constants].map(([literal, i]) => `(global $c${i} v128 (v128.const f32x4 ${literal} ${literal} ${literal} ${literal}))`).join('\n  ');
  return `(module
  (import "env" "memory" (memory 1 ${shared ? '65536 shared' : ''}))
  ${globals}
  (func (export "gelu") (param $src i32) (param $dst i32) (param $count i32)
    (local $i i32) (local $end i32)
    ${locals}
    ;; ${lanes} elements a turn
    (local.set $end (i32.and (local.get $count) (i32.const ${-lanes})))
    (block $done
      (loop $turn
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      ${Array.from({ length: UNROLL }, (_, k) => `(local.set $x${k} (v128.load ${at('$src', 4 * k)}))`).join('\n      ')}
      ${turn}
      ${Array.from({ length: UNROLL }, (_, k) => `(v128.store ${at('$dst', 4 * k)} (local.get $x${k}))`).join('\n      ')}
        (local.set $i (i32.add (local.get $i) (i32.const ${lanes})))
        (br $turn)))
    ;; the rest one element at a time, in lane 0
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $x0 (f32x4.splat (f32.load ${at('$src', 0)})))
      ${tail}
      (f32.store ${at('$dst', 0)} (f32x4.extract_lane 0 (local.get $x0)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))))
`;
}
