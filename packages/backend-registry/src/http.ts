// Every request of this backend goes through here, so TLS settings, the NOVERIFY warning and debug lines are
// applied the same way to GETs, DELETEs and the two push POSTs (the original skipped NOVERIFY for pushes).
import type { BackendContext, JsonRequest, JsonResponse, UploadRequest } from '@sregistry/core';
import { hmacTimestamp } from './hmac';

export const NOVERIFY_WARNING = 'Verify of certificates disabled! ::TESTING USE ONLY::';

export class RegistryHttp {
  private warned = false;

  constructor(
    private readonly ctx: BackendContext,
    private readonly now: () => Date,
  ) {}

  /** SREGISTRY_HTTPS_NOVERIFY (yes/true/t/1/y): warned about once per command, on the first request. */
  private common(): { insecure: boolean; debug: (line: string) => void } {
    const insecure = this.ctx.settings.getBoolean('SREGISTRY_HTTPS_NOVERIFY');
    if (insecure && !this.warned) {
      this.warned = true;
      this.ctx.log.warn(NOVERIFY_WARNING);
    }
    // the core logs each request and answer, with URLs and headers (Authorization) redacted
    return { insecure, debug: (line) => this.ctx.log.debug(line) };
  }

  json<T = unknown>(request: JsonRequest): Promise<JsonResponse<T>> {
    return this.ctx.host.requestJson<T>({ ...this.common(), ...request });
  }

  upload(request: UploadRequest): Promise<JsonResponse> {
    return this.ctx.host.uploadMultipart({ ...this.common(), ...request });
  }

  /**
   * Sends a signed request. The server accepts a signature only within the UTC hour it was made in, so when
   * the answer is a refusal and the hour turned while the request was in flight, it is signed again once.
   */
  async signed<T extends JsonResponse>(
    sign: (date: Date) => string,
    send: (authorization: string) => Promise<T>,
    refused: (answer: T) => boolean,
  ): Promise<T> {
    const signedAt = this.now();
    let answer = await send(sign(signedAt));
    if (!refused(answer)) return answer;
    const later = this.now();
    if (hmacTimestamp(later) !== hmacTimestamp(signedAt)) {
      this.ctx.log.debug('the signature was refused and the UTC hour has changed since it was made: signing again');
      answer = await send(sign(later));
      if (!refused(answer)) return answer;
    }
    this.checkClock(answer);
    return answer;
  }

  /**
   * A refused signature and a server clock minutes away from ours: the hour in the signature is not the server's,
   * which no token fixes. Said in one line, for every signed request (push, pull, delete) alike.
   */
  private checkClock(answer: JsonResponse): void {
    const date = Date.parse(answer.headers.date ?? '');
    if (Number.isNaN(date)) return;
    const skew = date - this.now().getTime();
    if (Math.abs(skew) <= MAX_CLOCK_SKEW_MS) return;
    const minutes = Math.round(Math.abs(skew) / 60_000);
    throw new this.ctx.host.UserError(
      `the registry refused the signature, and its clock is ${minutes} minutes ${skew > 0 ? 'ahead of' : 'behind'} this machine's (its Date: ${this.ctx.host.printable(answer.headers.date, { max: 40 })})`,
      {
        fix: "signatures are valid for the current UTC hour only: set this machine's clock right (NTP), or tell the registry's administrator if theirs is wrong",
        code: 'ECLOCK',
      },
    );
  }
}

/** Clocks further apart than this are worth a word when a signature is refused (the hour is all that is signed). */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;
