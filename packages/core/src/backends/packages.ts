/** First-party backends and the package that provides each, for "not installed" hints. */
export const KNOWN_BACKEND_PACKAGES: Record<string, string> = {
  registry: '@sregistry/backend-registry',
  hub: '@sregistry/backend-hub',
};

export function installHint(backend: string): string {
  const pkg = KNOWN_BACKEND_PACKAGES[backend];
  return pkg
    ? `run: sregistry plugins install ${pkg}`
    : `install a plugin that provides it (sregistry plugins install <package>), or see: sregistry backend ls`;
}
