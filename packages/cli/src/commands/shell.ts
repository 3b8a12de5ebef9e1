import { Args, hostCore, SregistryCommand } from '@sregistry/core/command';

export default class Shell extends SregistryCommand {
  static override summary = 'Open a Node REPL with `client` bound to a backend and the local database.';
  static override args = {
    backend: Args.string({ ignoreStdin: true, description: 'backend to use, e.g. registry (default: the active one)' }),
  };
  static override examples = ['<%= config.bin %> shell registry', "> client.speak()\n> await client.pull('vanessa/tacos:latest')"];

  async run() {
    const { args } = await this.parse(Shell);
    return hostCore().openShell(this.session, args.backend);
  }
}
