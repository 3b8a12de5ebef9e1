// @sregistry/backend-hub: resolves shub:// names against Singularity Hub (today the con/shub archive).
export { createBackend, description, labels, parseOptions, schemes, search } from './backend';
export { type HubRef, toHubRef } from './ref';
export type { HubManifest } from './remote-image';
export { DEFAULT_HUB_BASE, hubBase } from './settings';
