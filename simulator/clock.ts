/**
 * The simulator clock. Real time by default; the control API can freeze it at a given instant or
 * shift it by an offset, so tests can pin "now" (and with it the open candle and the rate-limit
 * windows) without waiting.
 */

export interface ClockState {
  /** Current simulator time, Unix seconds (integer). */
  readonly nowSeconds: number;
  /** The instant the clock is frozen at, or null when it follows real time. */
  readonly frozenAt: number | null;
  /** Seconds added to real time while not frozen. */
  readonly offsetSeconds: number;
}

export interface ClockUpdate {
  /** Freeze at this Unix second; `null` unfreezes (back to real time + offset). Absent: unchanged. */
  readonly now?: number | null;
  /** Offset added to real time while not frozen. Absent: unchanged. */
  readonly offsetSeconds?: number;
}

export class SimClock {
  #frozenAt: number | null = null;
  #offsetSeconds = 0;
  readonly #realNowMs: () => number;

  constructor(realNowMs: () => number = Date.now) {
    this.#realNowMs = realNowMs;
  }

  /** Simulator time in whole Unix seconds. */
  nowSeconds(): number {
    if (this.#frozenAt !== null) return this.#frozenAt;
    return Math.floor(this.#realNowMs() / 1000) + this.#offsetSeconds;
  }

  update(update: ClockUpdate): ClockState {
    if (update.now !== undefined) this.#frozenAt = update.now === null ? null : Math.floor(update.now);
    if (update.offsetSeconds !== undefined) this.#offsetSeconds = Math.trunc(update.offsetSeconds);
    return this.state();
  }

  /** Back to real time, no offset. */
  reset(): void {
    this.#frozenAt = null;
    this.#offsetSeconds = 0;
  }

  state(): ClockState {
    return { nowSeconds: this.nowSeconds(), frozenAt: this.#frozenAt, offsetSeconds: this.#offsetSeconds };
  }
}
