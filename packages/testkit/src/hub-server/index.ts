// A fake Singularity Hub (the con/shub archive service and its file tree) for backend and CLI tests.
export { HUB_ARCHIVE_UI, startHubServer } from './server';
export type {
  HubBehaviour,
  HubBuild,
  HubFormat,
  HubImageSeed,
  HubManifest,
  HubRequestLogEntry,
  HubServer,
  HubServerOptions,
} from './types';
