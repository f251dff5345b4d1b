import { UsageError } from './usage';

type Command = (argv: string[]) => Promise<number>;

/** Each command is loaded on demand so `kmax inspect` does not pay for tfjs. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  init: { summary: 'a random model of any preset, BatchNorm calibrated', load: async () => (await import('./commands/init')).initCommand },
  segment: { summary: 'panoptic segmentation of an image', load: async () => (await import('./commands/segment')).segmentCommand },
  convert: {
    summary: 'an official checkpoint (.pth, .pkl, TF .index + .data-*) -> a model folder',
    load: async () => (await import('./commands/convert')).convertCommand,
  },
  inspect: {
    summary: "a checkpoint's tensors: key, shape, dtype, min/max/mean",
    load: async () => (await import('./commands/inspect')).inspectCommand,
  },
  eval: { summary: 'PQ, SQ, RQ on a COCO panoptic dataset', load: async () => (await import('./commands/eval')).evalCommand },
  bench: { summary: 'per-stage timings', load: async () => (await import('./commands/bench')).benchCommand },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
  return `kmax <command> [options]\n\ncommands:\n${rows.join('\n')}\n\nRun 'kmax <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`kmax: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load())(rest);
  } catch (e) {
    const error = e as Error;
    const code = (e as { code?: unknown }).code;
    if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      console.error(`kmax ${name}: ${error.message}`);
      return 2;
    }
    console.error(`kmax ${name}: ${error.name}: ${error.message}`);
    if (process.env.KMAX_DEBUG) console.error(error.stack);
    return 1;
  }
}
