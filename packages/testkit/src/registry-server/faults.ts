// Fault injection: the failures a client meets in the field (dropped connections, 5xx from a proxy, throttling,
// clock skew, a wrong Content-Length, an HTML page where JSON was expected). Counters live here so that
// setFaults() starts every fault afresh.
import type { RegistryFaults } from './types';

const DAY_SECONDS = 86_400;

export class FaultState {
  private faults: RegistryFaults = {};
  private failuresLeft = 0;
  private dropsLeft = 0;
  private throttleCount = 0;
  private throttleStart = 0;

  constructor(faults: RegistryFaults = {}) {
    this.set(faults);
  }

  set(faults: RegistryFaults): void {
    this.faults = { ...faults };
    this.failuresLeft = faults.failTimes?.times ?? 0;
    this.dropsLeft = faults.dropAfterBytes === undefined ? 0 : (faults.dropTimes ?? 1);
    this.throttleCount = 0;
    this.throttleStart = 0;
  }

  get current(): Readonly<RegistryFaults> {
    return this.faults;
  }

  /**
   * The JSON text of an answer after the hostile modes (hostileText, noDigest, badNext, deepJson). The deep
   * object is spliced into the text: JSON.stringify itself would overflow on it.
   */
  jsonText(body: unknown, stringify: (value: unknown) => string): string {
    const f = this.faults;
    if (f.hostileText === undefined && !f.noDigest && f.badNext === undefined && !f.deepJson) return stringify(body);
    const DEEP = '\u0000deep\u0000';
    const visit = (value: unknown, key?: string, inLabel = false): unknown => {
      if (typeof value === 'string') {
        const shown = key === 'detail' || key === 'message' || (inLabel && (key === 'key' || key === 'value' || key === 'containers'));
        return f.hostileText !== undefined && shown ? `${value}${f.hostileText}` : value;
      }
      if (Array.isArray(value)) return value.map((item) => visit(item, key, inLabel));
      if (value === null || typeof value !== 'object') return value;
      const obj = value as Record<string, unknown>;
      const label = 'key' in obj && 'value' in obj && 'containers' in obj;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) out[k] = visit(v, k, label);
      if (f.noDigest && 'version' in out) out.version = null;
      if (f.badNext !== undefined && 'next' in out && 'results' in out) out.next = f.badNext;
      // a container search item's name is shown in the search table
      if (f.hostileText !== undefined && 'collection' in out && 'add_date' in out && !('image' in out) && typeof out.name === 'string')
        out.name = `${out.name}${f.hostileText}`;
      if (f.deepJson && 'image' in out && out.metadata && typeof out.metadata === 'object') out.metadata = { ...out.metadata, deep: DEEP };
      return out;
    };
    const text = stringify(visit(body));
    if (!f.deepJson) return text;
    const deep = `${'{"d":'.repeat(f.deepJson)}1${'}'.repeat(f.deepJson)}`;
    return text.replace(JSON.stringify(DEEP), deep);
  }

  /** The server's clock for the HMAC hour. */
  now(): Date {
    return new Date(Date.now() + (this.faults.clockOffsetMs ?? 0));
  }

  /** Status to answer instead of handling this request, if a failTimes fault is still armed for the path. */
  takeFailure(path: string): number | undefined {
    const f = this.faults.failTimes;
    if (!f || this.failuresLeft <= 0) return undefined;
    if (f.pathPrefix && !path.startsWith(f.pathPrefix)) return undefined;
    this.failuresLeft--;
    return f.status;
  }

  /** Byte count after which this download's socket is destroyed, if a drop is still armed. */
  takeDrop(): number | undefined {
    if (this.faults.dropAfterBytes === undefined || this.dropsLeft <= 0) return undefined;
    this.dropsLeft--;
    return this.faults.dropAfterBytes;
  }

  /**
   * DRF's AnonRateThrottle, with the rate "throttleAfter per day": returns the seconds to wait when this
   * request is over the limit, else undefined (and counts it).
   */
  throttle(): number | undefined {
    const limit = this.faults.throttleAfter;
    if (limit === undefined) return undefined;
    const nowS = Date.now() / 1000;
    if (this.throttleCount === 0 || nowS - this.throttleStart >= DAY_SECONDS) {
      this.throttleCount = 0;
      this.throttleStart = nowS;
    }
    if (this.throttleCount >= limit) return Math.max(1, Math.ceil(DAY_SECONDS - (nowS - this.throttleStart)));
    this.throttleCount++;
    return undefined;
  }
}
