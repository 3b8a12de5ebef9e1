/** The @sregistry/core module, loaded on demand so a command's --help never pays for TypeORM. */
export function hostCore(): typeof import('../internal') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../internal');
}
