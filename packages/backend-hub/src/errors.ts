import type { BackendContext } from '@sregistry/core';

/** The archive's browsable file tree: the only "search" Singularity Hub has left. */
export const ARCHIVE_UI = 'https://datasets.datalad.org/?dir=/shub';
const REPORT = 'https://github.com/con/shub/issues';

type Ctx = Pick<BackendContext, 'host'>;

export function notFound(ctx: Ctx, what: string, where: string) {
  return new ctx.host.UserError(`${what} was not found on ${where}`, {
    fix:
      'check the user, repository and tag (names are case-sensitive); `latest` only exists when the collection had a plain ' +
      `"Singularity" recipe, otherwise name the tag (the recipe's extension); browse the archive at ${ARCHIVE_UI}`,
    code: 'ENOTFOUND',
  });
}

/** 426 with a bare integer was the Hub's weekly download quota; 429 is the generic form. */
export function rateLimited(ctx: Ctx, what: string, status: number, body: unknown, retryAfter?: string) {
  const said = typeof body === 'number' || typeof body === 'string' ? `, the server said ${String(body).slice(0, 40)}` : '';
  const wait = retryAfter ? `wait ${retryAfter} seconds` : 'wait a while';
  return new ctx.host.UserError(`Singularity Hub refused ${what}: rate limit reached (HTTP ${status}${said})`, {
    fix: `${wait} and try again; the Hub limited downloads per container per week and requests per minute`,
    code: 'ERATELIMIT',
  });
}

export function hubFailed(ctx: Ctx, what: string, status: number, detail: string | undefined) {
  return new ctx.host.UserError(
    `The Hub failed while resolving ${what} (HTTP ${status}${detail ? `: ${ctx.host.printable(detail, { max: 120 })}` : ''})`,
    {
      fix: `try again later; if it keeps failing, report it at ${REPORT}`,
      code: 'EHTTP',
    },
  );
}

export function refused(ctx: Ctx, what: string, status: number) {
  return new ctx.host.UserError(`Singularity Hub refused access to ${what} (HTTP ${status})`, {
    fix: 'the archive needs no login; check SREGISTRY_HUB_BASE points at a Singularity Hub service',
    code: 'EHTTP',
  });
}

export function unexpected(ctx: Ctx, what: string, problem: string) {
  return new ctx.host.UserError(`Singularity Hub gave an unexpected answer for ${what}: ${problem}`, {
    fix: 'check SREGISTRY_HUB_BASE points at a Singularity Hub service, or re-run with --debug to see the answer',
    code: 'EBADANSWER',
  });
}

export function notFinished(ctx: Ctx, what: string) {
  return new ctx.host.UserError(`${what} is on Singularity Hub but the build was never finished (its manifest has no image)`, {
    fix: `pull another tag or version of the collection; browse the archive at ${ARCHIVE_UI}`,
    code: 'ENOTFOUND',
  });
}

export function digestMismatch(ctx: Ctx, what: string, field: string, got: string | undefined, digest: string) {
  return new ctx.host.UserError(
    `Singularity Hub has no build of ${what}: the retry found a build whose ${field} is ${got ?? 'missing'}, not ${digest}`,
    {
      fix: 'check the digest (32 hex = the image md5, 40 hex = the git commit), or pull by tag instead',
      code: 'EDIGEST',
    },
  );
}

export function versionMismatch(ctx: Ctx, what: string, field: string, got: string, digest: string) {
  return new ctx.host.UserError(
    `Singularity Hub answered ${what} with a build whose ${field} is ${ctx.host.printable(got)}, not the requested ${digest}`,
    {
      fix: 'the service holds another build under this name: pull it by tag for the current one, or check the digest',
      code: 'EVERSION',
    },
  );
}

/** search and labels: the archive kept only the pull route. */
export function readOnly(ctx: Ctx, operation: 'search' | 'labels') {
  const what = operation === 'search' ? 'search API' : 'labels API';
  return new ctx.host.UserError(`Singularity Hub is a read-only archive and has no ${what}`, {
    fix: `browse ${ARCHIVE_UI} or the archive's site, then pull with shub://user/repo:tag`,
    code: 'ENOTSUPPORTED',
    exitCode: 1,
  });
}
