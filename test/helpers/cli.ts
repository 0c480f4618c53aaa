import { Command } from 'commander';
import { vi } from 'vitest';

/**
 * Runs `tsad ARGS` in process on a program with only the given commands registered, and returns what
 * it wrote to stdout. Commander's exits become thrown errors (`exitOverride`).
 */
export async function runCli(
  registers: ReadonlyArray<(program: Command) => void>,
  args: string[],
): Promise<string> {
  const program = new Command();
  program.exitOverride();
  for (const register of registers) register(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['node', 'tsad', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}
