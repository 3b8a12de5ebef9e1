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
