import { CheckpointFormatError, DisallowedGlobalError } from '../errors';

/**
 * A restricted unpickler: the Python pickle virtual machine (protocols 2-5, the
 * binary opcodes that torch.save and numpy pickles emit), with one difference that
 * makes it safe: it never calls anything by name. GLOBAL / STACK_GLOBAL look the
 * name up in a caller-given whitelist of TypeScript stand-ins and throw
 * DisallowedGlobalError for anything else, before any call could happen.
 */

/** A Python object created by a whitelisted global (a tensor, an array, a dtype...). */
export interface PyObject {
  /** Python class, for messages. */
  readonly pyClass: string;
  /** `BUILD` (`__setstate__`); objects without it reject state. */
  setState?(state: PyValue): void;
}

/** What unpickling produces. Tuples and lists are both arrays (tuples are frozen). */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | Map<PyValue, PyValue>
  | Set<PyValue>
  | PyObject;

/** A whitelisted global: what REDUCE (`f(*args)`) and NEWOBJ (`cls.__new__(cls, *args)`) do with it. */
export interface PyGlobal extends PyObject {
  call(args: readonly PyValue[]): PyValue;
}

export interface UnpickleOptions {
  /** Whitelist, keyed by "module.name". */
  readonly globals: ReadonlyMap<string, PyGlobal>;
  /** Resolves BINPERSID references (torch storages). Without it they are an error. */
  readonly persistentLoad?: (pid: PyValue) => PyValue;
}

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

const decoder = new TextDecoder('utf-8', { fatal: true });
const HEX_BYTES = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const latin1 = new TextDecoder('latin1');

export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PyValue {
  return new Machine(bytes, options).run();
}

export function isPyObject(value: PyValue, pyClass?: string): value is PyObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Map) &&
    !(value instanceof Set) &&
    !(value instanceof Uint8Array) &&
    (pyClass === undefined || (value as PyObject).pyClass === pyClass)
  );
}

class Machine {
  private pos = 0;
  private readonly view: DataView;
  private stack: StackItem[] = [];
  private readonly metastack: StackItem[][] = [];
  private readonly memo = new Map<number, PyValue>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PyValue {
    for (;;) {
      const op = this.u8();
      switch (op) {
        case 0x80: // PROTO
          if (this.u8() > 5) throw new CheckpointFormatError('pickle protocol newer than 5');
          break;
        case 0x95: // FRAME: framing is only a read-ahead hint
          this.take(8);
          break;
        case 0x2e: // STOP
          return this.popValue();

        case 0x28: // MARK
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case 0x30: // POP
          this.stack.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;

        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x4a: // BININT
          this.push(this.view.getInt32(this.advance(4), true));
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.view.getUint16(this.advance(2), true));
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.u8()));
          break;
        case 0x8b: // LONG4
          this.push(this.long(this.view.getInt32(this.advance(4), true)));
          break;
        case 0x47: // BINFLOAT (big-endian double)
          this.push(this.view.getFloat64(this.advance(8), false));
          break;

        case 0x58: // BINUNICODE
          this.push(this.utf8(this.view.getUint32(this.advance(4), true)));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.utf8(this.u8()));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.utf8(this.u64()));
          break;
        case 0x54: // BINSTRING: a Python 2 str, read as latin1 text
          this.push(latin1.decode(this.take(this.view.getInt32(this.advance(4), true))));
          break;
        case 0x55: // SHORT_BINSTRING
          this.push(latin1.decode(this.take(this.u8())));
          break;
        case 0x42: // BINBYTES
          this.push(this.take(this.view.getUint32(this.advance(4), true)));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.take(this.u8()));
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.push(this.take(this.u64()));
          break;
        case 0x97: // NEXT_BUFFER
          throw new CheckpointFormatError('pickle uses out-of-band buffers (protocol 5 buffer_callback); save in-band');
        case 0x98: // READONLY_BUFFER: marks the top buffer read-only, nothing to do
          break;

        case 0x29: // EMPTY_TUPLE
          this.push(Object.freeze<PyValue[]>([]) as PyValue[]);
          break;
        case 0x74: // TUPLE
          this.push(Object.freeze(this.popMark()) as PyValue[]);
          break;
        case 0x85: // TUPLE1
          this.push(this.tuple(1));
          break;
        case 0x86: // TUPLE2
          this.push(this.tuple(2));
          break;
        case 0x87: // TUPLE3
          this.push(this.tuple(3));
          break;
        case 0x5d: // EMPTY_LIST
          this.push([]);
          break;
        case 0x6c: // LIST
          this.push(this.popMark());
          break;
        case 0x61: {
          // APPEND
          const item = this.popValue();
          this.list(this.top()).push(item);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.list(this.top()).push(...items);
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.push(new Map());
          break;
        case 0x64: {
          // DICT
          const dict = new Map<PyValue, PyValue>();
          this.setItems(dict, this.popMark());
          this.push(dict);
          break;
        }
        case 0x73: {
          // SETITEM
          const value = this.popValue();
          const key = this.popValue();
          this.dict(this.top()).set(key, value);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.dict(this.top()), items);
          break;
        }
        case 0x8f: // EMPTY_SET
          this.push(new Set());
          break;
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const set = this.top();
          if (!(set instanceof Set)) throw this.malformed('ADDITEMS on a non-set');
          for (const item of items) set.add(item);
          break;
        }
        case 0x91: // FROZENSET
          this.push(new Set(this.popMark()));
          break;

        case 0x63: {
          // GLOBAL "module\nname\n"
          const module = this.line();
          const name = this.line();
          this.push(this.resolve(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.popValue();
          const module = this.popValue();
          if (typeof module !== 'string' || typeof name !== 'string') throw this.malformed('STACK_GLOBAL needs strings');
          this.push(this.resolve(module, name));
          break;
        }
        case 0x52: {
          // REDUCE: callable(*args)
          const args = this.popValue();
          this.push(this.callable(this.popValue()).call(this.sequence(args)));
          break;
        }
        case 0x81: {
          // NEWOBJ: cls.__new__(cls, *args)
          const args = this.popValue();
          this.push(this.callable(this.popValue()).call(this.sequence(args)));
          break;
        }
        case 0x62: {
          // BUILD: obj.__setstate__(state)
          const state = this.popValue();
          this.build(this.top(), state);
          break;
        }
        case 0x51: {
          // BINPERSID
          const pid = this.popValue();
          if (this.options.persistentLoad === undefined) throw this.malformed('unexpected persistent reference');
          this.push(this.options.persistentLoad(pid));
          break;
        }

        case 0x71: // BINPUT
          this.memo.set(this.u8(), this.top());
          break;
        case 0x72: // LONG_BINPUT
          this.memo.set(this.view.getUint32(this.advance(4), true), this.top());
          break;
        case 0x94: // MEMOIZE
          this.memo.set(this.memo.size, this.top());
          break;
        case 0x68: // BINGET
          this.push(this.recall(this.u8()));
          break;
        case 0x6a: // LONG_BINGET
          this.push(this.recall(this.view.getUint32(this.advance(4), true)));
          break;

        default:
          throw this.malformed(`unsupported pickle opcode 0x${op.toString(16)}`);
      }
    }
  }

  private resolve(module: string, name: string): PyGlobal {
    const qualified = `${module}.${name}`;
    const global = this.options.globals.get(qualified);
    if (global === undefined) throw new DisallowedGlobalError(qualified);
    return global;
  }

  /** BUILD: dict subclasses (OrderedDict) carry attributes such as `_metadata`, which weights never need. */
  private build(target: StackItem, state: PyValue): void {
    if (target instanceof Map) return;
    if (target !== MARK && isPyObject(target) && target.setState !== undefined) {
      target.setState(state);
      return;
    }
    throw this.malformed(`cannot set the state of ${describePickled(target)}`);
  }

  private callable(value: PyValue): PyGlobal {
    if (isPyObject(value) && typeof (value as Partial<PyGlobal>).call === 'function') return value as PyGlobal;
    throw this.malformed(`${describePickled(value)} is not callable`);
  }

  private setItems(dict: Map<PyValue, PyValue>, items: PyValue[]): void {
    if (items.length % 2 !== 0) throw this.malformed('odd number of dict items');
    for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
  }

  private list(target: StackItem): PyValue[] {
    if (!Array.isArray(target) || Object.isFrozen(target)) throw this.malformed('APPEND on a non-list');
    return target;
  }

  private dict(target: StackItem): Map<PyValue, PyValue> {
    if (!(target instanceof Map)) throw this.malformed('SETITEM on a non-dict');
    return target;
  }

  private sequence(value: PyValue): PyValue[] {
    if (!Array.isArray(value)) throw this.malformed('call arguments are not a tuple');
    return value;
  }

  private tuple(n: number): PyValue[] {
    if (this.stack.length < n) throw this.malformed('stack underflow');
    return Object.freeze(this.stack.splice(this.stack.length - n, n) as PyValue[]) as PyValue[];
  }

  private push(value: PyValue): void {
    this.stack.push(value);
  }

  private top(): PyValue {
    const value = this.stack[this.stack.length - 1];
    if (value === undefined || value === MARK) throw this.malformed('stack underflow');
    return value;
  }

  private popValue(): PyValue {
    const value = this.top();
    this.stack.pop();
    return value;
  }

  private popMark(): PyValue[] {
    const items = this.stack;
    const previous = this.metastack.pop();
    if (previous === undefined) throw this.malformed('no MARK to pop to');
    this.stack = previous;
    return items as PyValue[];
  }

  private recall(index: number): PyValue {
    const value = this.memo.get(index);
    if (value === undefined) throw this.malformed(`memo entry ${index} missing`);
    return value;
  }

  private u8(): number {
    return this.bytes[this.advance(1)];
  }

  private u64(): number {
    const n = this.view.getBigUint64(this.advance(8), true);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw this.malformed('length too large');
    return Number(n);
  }

  /** Python int from little-endian two's complement bytes; a number when it is safe. */
  private long(length: number): number | bigint {
    const bytes = this.take(length);
    if (length === 0) return 0;
    // Through a hex string: linear in the length, where shifting a growing BigInt byte by
    // byte is quadratic (a crafted 200 KB LONG4 took minutes).
    const digits = new Array<string>(length);
    for (let i = 0; i < length; i++) digits[length - 1 - i] = HEX_BYTES[bytes[i]];
    let value = BigInt(`0x${digits.join('')}`);
    if (bytes[length - 1] & 0x80) value -= 1n << BigInt(8 * length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private utf8(length: number): string {
    const at = this.pos;
    const bytes = this.take(length);
    try {
      return decoder.decode(bytes);
    } catch {
      throw new CheckpointFormatError(`malformed pickle at byte ${at}: a ${length}-byte string is not valid UTF-8`);
    }
  }

  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.malformed('unterminated GLOBAL');
    const text = latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  /** A view (no copy) of the next `length` bytes. */
  private take(length: number): Uint8Array {
    const start = this.advance(length);
    return this.bytes.subarray(start, start + length);
  }

  private advance(length: number): number {
    const start = this.pos;
    if (length < 0 || start + length > this.bytes.byteLength) {
      throw new CheckpointFormatError('the pickle ends early: the file is truncated or not a pickle');
    }
    this.pos += length;
    return start;
  }

  private malformed(what: string): CheckpointFormatError {
    return new CheckpointFormatError(`malformed pickle at byte ${this.pos}: ${what}`);
  }
}

/** An unpickled value as a message names it: short simple values as they are, else their kind; never "[object Object]". */
export function describePickled(value: unknown): string {
  if (value === MARK) return 'a MARK';
  if (isPyObject(value as PyValue)) return `a ${(value as PyObject).pyClass}`;
  if (Array.isArray(value)) return 'a tuple/list';
  if (value instanceof Map) return 'a dict';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null) return 'None';
  return typeof value;
}
