// The environment a benchmarked CLI runs in: a throw-away HOME with its XDG folders (oclif's data and cache, the
// compile cache) inside it, and nothing else from the caller's environment but PATH.
import path from 'node:path';

export function homeEnv(home) {
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
  };
}
