import type { BackendContext } from '@sregistry/core';
import { fetchManifest, type Manifest } from './api';
import { digestMismatch, notFound, versionMismatch } from './errors';
import { type HubRef, refTail, refText } from './ref';

export interface Resolution {
  manifest: Manifest;
  /** the manifest URL that answered */
  url: string;
  /** how the build was found, for --debug */
  how: string;
}

interface Attempt {
  tail: string;
  how: string;
  /** the manifest field that must equal the digest for this answer to count */
  verify?: 'version' | 'commit';
}

/** 32 hex is the image md5 (the manifest's `version`), 40 hex the git commit. */
function digestField(digest: string): 'version' | 'commit' {
  return digest.length === 40 ? 'commit' : 'version';
}

/**
 * The forms to try, in order. The archive (con/shub) does not split `@digest` off, so `repo@d` and
 * `repo:tag@d` are 404 there while the old Hub and sregistry servers answer them; the archive does match a
 * version (md5) put in the tag slot, so `:d` is the fallback — but a tag may be named like a digest, hence the
 * check. A commit is not a lookup key on the archive, so `:tag@commit` also tries `:tag` and checks `commit`.
 */
function attempts(ref: HubRef): Attempt[] {
  const exact: Attempt = { tail: refTail(ref), how: 'the exact manifest route' };
  if (!ref.digest) return [exact];
  const field = digestField(ref.digest);
  const list: Attempt[] = [
    exact,
    {
      tail: refTail({ repo: ref.repo, tag: ref.digest }),
      how: `a retry with the digest as the tag (:${ref.digest}), ${field} checked`,
      verify: field,
    },
  ];
  if (ref.tag !== undefined && field === 'commit') {
    list.push({ tail: refTail({ repo: ref.repo, tag: ref.tag }), how: `a retry by tag (:${ref.tag}), commit checked`, verify: 'commit' });
  }
  return list;
}

export async function resolveRef(
  ctx: BackendContext,
  base: string,
  where: string,
  ref: HubRef,
  signal?: AbortSignal,
  plainHttpSetting?: string,
): Promise<Resolution> {
  const what = refText(ref);
  let mismatch: { field: string; got: string | undefined } | undefined;
  for (const attempt of attempts(ref)) {
    const answer = await fetchManifest(ctx, { base, user: ref.user, tail: attempt.tail, what, signal, plainHttpSetting });
    if (!answer.found) continue;
    const { manifest } = answer;
    if (ref.digest) {
      const field = attempt.verify ?? digestField(ref.digest);
      const got = typeof manifest[field] === 'string' ? (manifest[field] as string).toLowerCase() : undefined;
      if (got !== ref.digest) {
        if (attempt.verify) {
          ctx.log.debug(`hub: ${attempt.tail} answered ${field} ${got ?? '(none)'}, not ${ref.digest}: not the requested build`);
          mismatch ??= { field, got };
          continue;
        }
        // The server resolved the digest itself (old Hub and registry servers ignore it and answer the tag): a
        // build with another digest is not the one asked for, and nothing of it is downloaded.
        if (got !== undefined) throw versionMismatch(ctx, what, field, got, ref.digest);
      }
      if (attempt.verify && ref.tag !== undefined && typeof manifest.tag === 'string' && manifest.tag !== ref.tag) {
        ctx.log.warn(`${what}: the build with this digest is tagged "${manifest.tag}", not "${ref.tag}"`);
      }
    }
    ctx.log.debug(`hub: resolved ${what} through ${attempt.how}: ${answer.url}`);
    return { manifest, url: answer.url, how: attempt.how };
  }
  if (mismatch && ref.digest) throw digestMismatch(ctx, what, mismatch.field, mismatch.got, ref.digest);
  throw notFound(ctx, what, where);
}
