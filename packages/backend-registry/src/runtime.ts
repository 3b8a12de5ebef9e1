// What every operation needs: the host API, settings, log, the HTTP wrapper and the registry location.
import type { BackendContext, ImageName } from '@sregistry/core';
import { type RegistryLocation, registryFor } from './config';
import { type Credentials, readCredentials } from './credentials';
import { RegistryHttp } from './http';

export interface RuntimeOptions {
  /** the clock used for signatures (tests move it across an hour boundary) */
  now?: () => Date;
}

export class Runtime {
  readonly http: RegistryHttp;
  readonly now: () => Date;
  private readonly announced = new Set<string>();
  private readonly said = new Set<string>();

  constructor(
    readonly ctx: BackendContext,
    options: RuntimeOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.http = new RegistryHttp(ctx, this.now);
  }

  get host(): BackendContext['host'] {
    return this.ctx.host;
  }

  get log(): BackendContext['log'] {
    return this.ctx.log;
  }

  /** Where to send a request about `name` (or a request about no image: search, labels). */
  location(name?: Pick<ImageName, 'registry' | 'scheme'>, options?: { hostInName?: boolean }): RegistryLocation {
    const location = registryFor(this.host, this.ctx.settings, name, options);
    if (!this.announced.has(location.root)) {
      this.announced.add(location.root);
      this.log.debug(`registry ${location.root} (from ${location.source === 'name' ? 'the image name' : location.source})`);
    }
    return location;
  }

  /** An info line shown once per command however often the situation comes up (a pull reads two manifests). */
  sayOnce(line: string): void {
    if (this.said.has(line)) return;
    this.said.add(line);
    this.log.info(line);
  }

  /** Read only when a request is signed, so public operations need no token. */
  credentials(): Credentials {
    return readCredentials(this.ctx);
  }
}
