import path from 'node:path';
import { makeTempHome, runCli, type TempHome } from '@sregistry/testkit';

export const BIN = path.resolve(__dirname, '..', 'bin', 'run.js');

/** A CLI confined to a throw-away HOME; `run` returns exit code, stdout and stderr. */
export function cliInTempHome(extraEnv: Record<string, string> = {}) {
  const home: TempHome = makeTempHome();
  const run = (args: string[], options: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {}) =>
    runCli(BIN, args, { ...options, env: { ...home.env, ...extraEnv, ...options.env }, cwd: options.cwd ?? home.home });
  return { ...home, run };
}
