import { ModelFormatError } from '../loading/model-folder';

/** An error as it crosses the worker boundary: class name, message and stack survive. */
export interface SerialisedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** The request was cancelled before its result was delivered; not a failure. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

/** The GPU device was lost and could not be brought back; reload the page or pick another backend. */
export class DeviceLostError extends Error {
  override readonly name = 'DeviceLostError';
}

/** `segment` or `loseDevice` arrived before any model was loaded. */
export class NoModelError extends Error {
  override readonly name = 'NoModelError';
  constructor(message = 'no model is loaded yet: choose a model first') {
    super(message);
  }
}

/** The worker got a message it does not understand (page and worker out of step). */
export class UnknownRequestError extends Error {
  override readonly name = 'UnknownRequestError';
}

/** The worker script itself failed (load error or uncaught exception); reload the page. */
export class WorkerCrashedError extends Error {
  override readonly name = 'WorkerCrashedError';
}

/** A worker-side error with no page-side class; keeps the original name. */
export class RemoteError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

type ErrorClass = new (message: string) => Error;

/** Classes rebuilt on the page by name. */
const KNOWN: Readonly<Record<string, ErrorClass>> = {
  CancelledError,
  DeviceLostError,
  ModelFormatError,
  NoModelError,
  UnknownRequestError,
  WorkerCrashedError,
};

export function serialiseError(error: unknown): SerialisedError {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack === undefined ? {} : { stack: error.stack }) };
  return { name: 'Error', message: String(error) };
}

export function rebuildError(serialised: SerialisedError): Error {
  const Known = KNOWN[serialised.name];
  const error = Known === undefined ? new RemoteError(serialised.name, serialised.message) : new Known(serialised.message);
  if (serialised.stack !== undefined) error.stack = serialised.stack;
  return error;
}
