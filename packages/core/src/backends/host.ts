// The one place the host API (contracts/host.ts) and a backend's context are built. Each member loads its module on first call, so
// discovering and listing backends stays as cheap at start-up as it was before the host existed.
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Hash from '../catalog/hash';
import type { BackendContext } from '../contracts/backend';
import { type BackendHost, HOST_API_VERSION } from '../contracts/host';
import { isUserError, UserError } from '../errors';
import type * as Untrusted from '../output/untrusted';
import type * as AtomicWrite from '../settings/atomic-write';
import { settingName } from '../settings/backend-settings';
import type * as FileLock from '../settings/file-lock';
import type * as Sif from '../sif/read-sif';
import type * as Download from '../transfer/download';
import type * as Redact from '../transfer/redact';
import type * as RequestJson from '../transfer/request-json';
import type * as RetryPolicy from '../transfer/retry-policy';
import type * as Upload from '../transfer/upload';
import type * as UploadFile from '../transfer/upload-file';
import { parseImageName } from '../uri/parse';
import { CORE_VERSION } from '../version';

const redact = () => require('../transfer/redact') as typeof Redact;

let host: BackendHost | undefined;

/** The host API handed to every backend (`ctx.host`); one frozen object per process. */
export function backendHost(): BackendHost {
  host ??= Object.freeze<BackendHost>({
    apiVersion: HOST_API_VERSION,
    coreVersion: CORE_VERSION,
    UserError,
    isUserError,
    parseImageName,
    requestJson: (request) => (require('../transfer/request-json') as typeof RequestJson).requestJson(request),
    downloadToFile: (request) => (require('../transfer/download') as typeof Download).downloadToFile(request),
    uploadMultipart: (request) => (require('../transfer/upload') as typeof Upload).uploadMultipart(request),
    uploadFile: (request) => (require('../transfer/upload-file') as typeof UploadFile).uploadFile(request),
    retryPolicy: () => (require('../transfer/retry-policy') as typeof RetryPolicy).retryPolicy(),
    fileDigests: (file, names, signal) => (require('../catalog/hash') as typeof Hash).fileDigests(file, names, signal),
    imageArch: async (file) => {
      const info = await (require('../sif/read-sif') as typeof Sif).readSif(file).catch(() => undefined);
      return info && info.arch !== 'unknown' && /^[a-z0-9_]+$/.test(info.arch) ? info.arch : undefined;
    },
    redactUrl: (url) => redact().redactUrl(url),
    redactHeaders: (headers) => redact().redactHeaders(headers),
    urlOrigin: (url) => redact().urlOrigin(url),
    printable: (value, options) => (require('../output/untrusted') as typeof Untrusted).printable(value, options),
    settingName,
    writeFileAtomic: (file, data, mode) => (require('../settings/atomic-write') as typeof AtomicWrite).writeFileAtomic(file, data, mode),
    withFileLock: (file, work, options) =>
      (require('../settings/file-lock') as typeof FileLock).withFileLock(file, work, options?.what ?? file, options?.code ?? 'EUSER'),
  });
  return host;
}

/** The context `createBackend` receives: the backend's name, its settings and log, and the host API. */
export function backendContext(name: string, parts: Pick<BackendContext, 'settings' | 'log'>): BackendContext {
  const host = backendHost();
  return { name: name.toLowerCase(), settings: parts.settings, log: parts.log, host, core: host };
}
