import { describe, expect, it } from 'vitest';
import { runKmax } from './run-in-process';

describe('kmax', () => {
  it.each(['init', 'segment', 'convert', 'inspect', 'eval', 'bench'])('kmax %s --help prints the command usage', async (command) => {
    const { code, stdout } = await runKmax(command, '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^usage: kmax ${command} `));
  });

  it('answers an unknown option with the message and the usage, exit 2', async () => {
    const { code, stderr } = await runKmax('segment', 'a.png', '--modle', 'm');
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--modle'");
    expect(stderr).toContain('usage: kmax segment IMAGE --model DIR');
  });

  it('lists the commands for --help and for an unknown command', async () => {
    expect((await runKmax('--help')).stdout).toContain("Run 'kmax <command> --help'");
    const { code, stderr } = await runKmax('segmnet');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command "segmnet"');
  });
});
