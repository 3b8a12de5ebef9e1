// oras://<host[:port]>/<repository path>[:<tag>|@sha256:<hex>] → the OCI reference. OCI repository names are
// lower case (distribution-spec), so other names are refused here rather than by the registry with a 400.
import type { ImageName } from '@sregistry/core';
import type { Host } from './host';

export interface OciReference {
  /** host[:port], as the user wrote it and as Docker config files key it */
  host: string;
  repository: string;
  tag: string;
  /** whether the URI names the tag (else it is the default, latest) */
  tagged: boolean;
  /** the manifest digest when the reference pins one */
  digest?: string;
  /** `host/repository:tag` or `host/repository@digest` */
  display: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const EXAMPLE = 'for example oras://ghcr.io/org/image:tag';

export function toReference(host: Host, name: ImageName): OciReference {
  const { UserError } = host;
  const where = name.registry;
  const written = name.original.slice(name.original.lastIndexOf('://') + 3).replace(/\/+$/, '');
  if (!written.includes('/') && /^(?:localhost|[^/@]*[.:][^/@]*)$/.test(written)) {
    throw new UserError(`"${name.original}" names the registry ${written} but no repository`, {
      fix: `write oras://${written}/<repository>:<tag>; to list its repositories: sregistry search oras://${written}/`,
      code: 'EBADNAME',
    });
  }
  if (!where || !/[.:]|^localhost$/.test(where)) {
    throw new UserError(`"${name.original}" does not name a registry host`, {
      fix: `write oras://<host>/<repository>:<tag>, ${EXAMPLE}`,
      code: 'EBADNAME',
    });
  }
  // the repository path as written (the generic parser would add a default collection to a one-part path)
  const rest = name.original.slice(name.original.lastIndexOf('://') + 3).slice(where.length + 1);
  const unpinned = rest.replace(/@.*$/, '');
  const tagged = /:[^/]*$/.test(unpinned);
  const repository = unpinned.replace(/:[^/]*$/, '').replace(/\.(sif|simg|img)$/i, '');
  const bad = repository.split('/').find((part) => !COMPONENT.test(part));
  if (bad !== undefined) {
    const lower = repository.toLowerCase() !== repository;
    throw new UserError(`the repository "${repository}" is not a valid OCI repository name${lower ? ' (OCI names are lower case)' : ''}`, {
      fix: `use lower-case letters, digits and . _ - separators, ${lower ? `e.g. ${repository.toLowerCase()}` : EXAMPLE}`,
      code: 'EBADNAME',
    });
  }
  const digest = name.version && DIGEST.test(name.version) ? name.version : undefined;
  if (name.version && !digest) {
    throw new UserError(`"@${name.version}" is not a manifest digest`, {
      fix: 'pin a manifest as @sha256:<64 lower-case hex digits>',
      code: 'EBADNAME',
    });
  }
  if (!TAG.test(name.tag)) {
    throw new UserError(`the tag "${name.tag}" is not a valid OCI tag`, {
      fix: 'use letters, digits, _ . - (at most 128, not starting with . or -)',
      code: 'EBADNAME',
    });
  }
  const display = `${where}/${repository}${digest ? `@${digest}` : `:${name.tag}`}`;
  return { host: where, repository, tag: name.tag, tagged, digest, display };
}
