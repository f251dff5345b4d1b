import { UsageError } from './usage';

/** A command's entry point and its one-line usage. */
interface Command {
  readonly run: (argv: string[]) => Promise<number>;
  readonly usage: string;
}

/** Each command is loaded on demand so `kmax inspect` does not pay for tfjs. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  init: {
    summary: 'a random model of any preset, BatchNorm calibrated',
    load: () => import('./commands/init').then((m) => ({ run: m.initCommand, usage: m.INIT_USAGE })),
  },
  segment: {
    summary: 'panoptic segmentation of an image',
    load: () => import('./commands/segment').then((m) => ({ run: m.segmentCommand, usage: m.SEGMENT_USAGE })),
  },
  convert: {
    summary: 'an official checkpoint (.pth, .pkl, TF .index + .data-*) -> a model folder',
    load: () => import('./commands/convert').then((m) => ({ run: m.convertCommand, usage: m.CONVERT_USAGE })),
  },
  fetch: {
    summary: 'a model of the official zoo: download (resumable), verify, convert; --list lists them',
    load: () => import('./commands/fetch').then((m) => ({ run: m.fetchCommand, usage: m.FETCH_USAGE })),
  },
  inspect: {
    summary: "a checkpoint's tensors: key, shape, dtype, min/max/mean",
    load: () => import('./commands/inspect').then((m) => ({ run: m.inspectCommand, usage: m.INSPECT_USAGE })),
  },
  eval: {
    summary: 'PQ, SQ, RQ on a COCO panoptic dataset',
    load: () => import('./commands/eval').then((m) => ({ run: m.evalCommand, usage: m.EVAL_USAGE })),
  },
  bench: {
    summary: 'per-stage timings',
    load: () => import('./commands/bench').then((m) => ({ run: m.benchCommand, usage: m.BENCH_USAGE })),
  },
};

const HELP = ['--help', '-h'];

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
  return `kmax <command> [options]\n\ncommands:\n${rows.join('\n')}\n\nRun 'kmax <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || HELP.includes(name)) {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`kmax: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    const { run, usage: commandUsage } = await command.load();
    if (rest.some((arg) => HELP.includes(arg))) {
      console.log(`usage: ${commandUsage}`);
      return 0;
    }
    // node:util's parse errors are usage errors too, and get the command's usage.
    return await run(rest).catch((e: unknown) => {
      const code = (e as { code?: unknown }).code;
      throw typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS') ? new UsageError(`${(e as Error).message}\nusage: ${commandUsage}`) : e;
    });
  } catch (e) {
    const error = e as Error;
    if (error instanceof UsageError) {
      console.error(`kmax ${name}: ${error.message}`);
      return 2;
    }
    console.error(`kmax ${name}: ${error.name}: ${error.message}`);
    if (process.env.KMAX_DEBUG) console.error(error.stack);
    return 1;
  }
}
