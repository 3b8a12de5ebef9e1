import type { BackendContext, ImageName } from '@sregistry/core';

/** A Singularity Hub reference: `[registry/]user/repo[:tag][@digest]`, case kept. */
export interface HubRef {
  /** host[:port][/path] named in the URI (a Hub-compatible server such as an sregistry instance) */
  registry?: string;
  user: string;
  repo: string;
  /** undefined when the URI named only a digest; `latest` when it named neither */
  tag?: string;
  /** 32 hex = the image file's md5 (the Hub's "version"), 40 hex = the recipe's git commit */
  digest?: string;
}

// Apptainer's anchored shub grammar (internal/pkg/client/shub), plus a port on the registry host.
const USER = /^[A-Za-z0-9-]{1,39}$/;
const REPO = /^[A-Za-z0-9._-]{1,64}$/;
const TAG = /^[A-Za-z0-9._-]{1,64}$/;
const DIGEST = /^(?:[0-9a-f]{32}|[0-9a-f]{40})$/;
const REGISTRY = /^[A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[A-Za-z0-9._~-]+)*$/;

const EXAMPLE = 'use shub://user/repo[:tag][@digest], for example shub://vsoch/hello-world:latest';

/** `user/repo:tag@digest` as the user would write it (no registry). */
export function refText(ref: HubRef): string {
  return `${ref.user}/${ref.repo}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The `<repo>[:tag][@digest]` tail the manifest route takes. */
export function refTail(ref: Pick<HubRef, 'repo' | 'tag' | 'digest'>): string {
  return `${ref.repo}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/**
 * Builds the Hub reference from a name the core parsed with lower-casing off, and validates it. The core
 * fills in `latest` when no tag was written; re-reading the original tells `user/repo@digest` (no tag: the
 * digest alone selects the build) from `user/repo:latest@digest`. Extra leading path segments (`host/path/
 * user/repo`) belong to the registry, as in Apptainer.
 */
export function toHubRef(ctx: BackendContext, name: ImageName): HubRef {
  const written = reparse(ctx, name);
  let user: string;
  let registry: string | undefined;
  if (written && written.collection === undefined) {
    // Two segments are always user/repo on the Hub; the generic parser calls `a.b/repo` a registry and a
    // repo, which would hide the real problem (a dot in the user) behind a default collection.
    if (!written.registry || written.registry.includes('/')) {
      refuse(ctx, name.original, `the user is missing (shub names are user/repo, not just "${name.image}")`);
    }
    user = written.registry;
  } else {
    const segments = name.collection.split('/');
    user = segments.pop() ?? '';
    registry = [name.registry, ...segments].filter((s) => s !== undefined && s !== '').join('/') || undefined;
  }
  const tagWritten = written ? written.tag !== undefined : true;
  const digest = name.version || undefined;
  const tag = tagWritten ? name.tag : digest ? undefined : 'latest';
  const ref: HubRef = { registry, user, repo: name.image, tag, digest };
  validate(ctx, name.original, ref);
  return ref;
}

function reparse(ctx: BackendContext, name: ImageName): { registry?: string; collection?: string; tag?: string } | undefined {
  try {
    const p = ctx.host.parseImageName(name.original, { lowercase: false, defaults: false });
    // Only trust it when it describes the same image (the core may have built `name` some other way).
    return p.image === name.image ? p : undefined;
  } catch {
    return undefined;
  }
}

export function validate(ctx: BackendContext, original: string, ref: HubRef): void {
  if (ref.registry !== undefined && !REGISTRY.test(ref.registry)) {
    refuse(ctx, original, `the registry "${ref.registry}" is not a host[:port][/path]`);
  }
  if (!USER.test(ref.user)) {
    refuse(ctx, original, `the user "${ref.user}" may only hold letters, digits and "-" (no dots), at most 39 characters`);
  }
  if (!REPO.test(ref.repo)) {
    refuse(ctx, original, `the repository "${ref.repo}" may only hold letters, digits, "-", "_" and ".", at most 64 characters`);
  }
  if (ref.tag !== undefined && !TAG.test(ref.tag)) {
    refuse(ctx, original, `the tag "${ref.tag}" may only hold letters, digits, "-", "_" and ".", at most 64 characters`);
  }
  if (ref.digest !== undefined && !DIGEST.test(ref.digest)) {
    refuse(ctx, original, `the digest "${ref.digest}" must be 32 hex characters (the image md5) or 40 (the git commit)`);
  }
}

function refuse(ctx: BackendContext, original: string, problem: string): never {
  throw new ctx.host.UserError(`Invalid Singularity Hub name "${original}": ${problem}`, { fix: EXAMPLE, code: 'EBADNAME', exitCode: 1 });
}
