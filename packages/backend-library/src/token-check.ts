// `library login` asks the library about a token before saving it, as `apptainer remote login` does:
// `GET /v1/token-status` with the token as Bearer, where only a 200 is a good token. The Singularity Registry Server
// answers an unknown token with a bare 404 (registry-api.md §1.5); a server without the route answers its 404 with
// a page or an error envelope, and cannot check a token at all: the caller saves it with a warning.
import { type LibraryClient, serverMessage } from './client';
import type { Host } from './host';

export type TokenCheck = { checked: true } | { checked: false; why: string };

/** The check of the client's own token (`client.target.token`), with the library that token is for. */
export async function checkToken(host: Host, client: LibraryClient): Promise<TokenCheck> {
  const token = client.target.token;
  const answer = await client.call('/v1/token-status');
  const where = host.urlOrigin(await client.api());
  if (answer.status === 200) return { checked: true };
  // a server that echoes the token back must not get it printed
  const said = token ? serverMessage(host, answer)?.split(token).join('***') : serverMessage(host, answer);
  const status = `HTTP ${answer.status}${said ? `: ${said}` : ''}`;
  const bare404 = answer.status === 404 && answer.text.trim() === '';
  if (answer.status === 401 || answer.status === 403 || bare404) {
    throw new host.UserError(`${where} refused the token (${status})`, {
      fix: 'pipe in the whole token, or create a new one on the library web page',
      code: 'ETOKEN',
    });
  }
  if (answer.status === 404 || answer.status === 405 || answer.status === 501) {
    return { checked: false, why: `${where} has no GET /v1/token-status (HTTP ${answer.status})` };
  }
  throw new host.UserError(`${where} answered the token check (GET /v1/token-status) with ${status}`, {
    fix: answer.status >= 500 ? 'the server has a problem; try again later, or run with --debug' : 'run with --debug to see the exchange',
    code: 'EHTTP',
  });
}
