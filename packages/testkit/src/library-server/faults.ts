// Fault switches with their counters, so that setFaults() starts every fault afresh.
import type { LibraryFaults } from './types';

export class FaultState {
  private faults: LibraryFaults = {};
  private partFailuresLeft = 0;
  private requestFailuresLeft = 0;
  private dropsLeft = 0;

  constructor(faults: LibraryFaults = {}) {
    this.set(faults);
  }

  set(faults: LibraryFaults): void {
    this.faults = { ...faults };
    this.partFailuresLeft = faults.failPart ? (faults.failPart.times ?? 1) : 0;
    this.requestFailuresLeft = faults.failRequests ? (faults.failRequests.times ?? 1) : 0;
    this.dropsLeft = faults.dropDownloadAfterBytes === undefined ? 0 : (faults.dropTimes ?? 1);
  }

  get current(): Readonly<LibraryFaults> {
    return this.faults;
  }

  delayFor(host: 'api' | 'object'): number {
    const d = this.faults.delayMs;
    return typeof d === 'number' ? d : (d?.[host] ?? 0);
  }

  /** How to fail this request instead of handling it, if a failRequests fault is armed for it. */
  takeRequestFailure(host: 'api' | 'object', path: string): number | 'drop' | undefined {
    const f = this.faults.failRequests;
    if (!f || this.requestFailuresLeft <= 0 || (f.host ?? 'api') !== host || !path.startsWith(f.pathPrefix)) return undefined;
    this.requestFailuresLeft--;
    return f.status;
  }

  /** How to fail this part's upload, if a failPart fault is armed for its number. */
  takePartFailure(partNumber: number): 500 | 503 | 'drop' | undefined {
    const f = this.faults.failPart;
    if (!f || f.part !== partNumber || this.partFailuresLeft <= 0) return undefined;
    this.partFailuresLeft--;
    return f.mode ?? 500;
  }

  takeDrop(): number | undefined {
    if (this.faults.dropDownloadAfterBytes === undefined || this.dropsLeft <= 0) return undefined;
    this.dropsLeft--;
    return this.faults.dropDownloadAfterBytes;
  }
}
