import { CheckpointFormatError } from '../errors';
import { describePickled, type PyGlobal, type PyValue } from './pickle';

/** A whitelisted global: a TypeScript stand-in with the Python object's effect, nothing more. */
export function pyGlobal(qualifiedName: string, call: (args: readonly PyValue[]) => PyValue): PyGlobal {
  return { pyClass: qualifiedName, call };
}

export function whitelist(...groups: readonly PyGlobal[][]): ReadonlyMap<string, PyGlobal> {
  return new Map(groups.flat().map((g) => [g.pyClass, g]));
}

/**
 * Python standard-library names that plain-data pickles use. Each one only builds a
 * container or bytes; none reaches the outside world.
 */
export const PYTHON_GLOBALS: PyGlobal[] = [
  // state_dict() returns an OrderedDict; its items follow via SETITEMS.
  pyGlobal('collections.OrderedDict', () => new Map()),
  // Protocol 2 has no set opcode: sets are pickled as builtins.set([items]).
  pyGlobal('builtins.set', (args) => new Set(Array.isArray(args[0]) ? args[0] : [])),
  // Protocol 2 has no bytes opcode: bytes are pickled as _codecs.encode(text, 'latin1').
  pyGlobal('_codecs.encode', ([text, encoding]) => {
    if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
      throw new CheckpointFormatError(`unsupported _codecs.encode(${describePickled(text)}, ${describePickled(encoding)}) in pickle: bytes are pickled as latin1 text`);
    }
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }),
];
