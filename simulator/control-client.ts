/**
 * Typed client for the simulator's control API (`/__sim/`), used by tests, the demo and tools.
 * Every method throws an Error carrying the server's message when the call is refused.
 *
 * @example
 * const sim = new SimulatorControl('http://127.0.0.1:8299');
 * await sim.setLimits('data-api', { second: 3 });
 * const { id } = await sim.addFault({ kind: 'server-error', source: 'data-api', count: 1 });
 */
import type { ClockState, ClockUpdate } from './clock';
import type { SourceStats } from './stats';
import type { ActiveFault, FaultSpec, RateLimits, RateWindow } from './types';

export type { ClockState, ClockUpdate } from './clock';
export type { SourceStats, WindowStats } from './stats';

export interface SimulatorHealth {
  readonly ok: boolean;
  readonly sources: string[];
  readonly clock: ClockState;
}

/** Limits in force per window (null = unlimited). */
export type EffectiveLimits = Record<RateWindow, number | null>;

/** Per-window limit overrides; `null` or an absent window means "the source's default". */
export type LimitOverrides = Partial<Record<RateWindow, number | null>>;

export class SimulatorControlError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'SimulatorControlError';
  }
}

export class SimulatorControl {
  readonly #base: string;

  /** @param baseUrl the simulator root, e.g. `http://127.0.0.1:8299` (a trailing slash is fine). */
  constructor(baseUrl: string) {
    this.#base = baseUrl.replace(/\/+$/, '');
  }

  health(): Promise<SimulatorHealth> {
    return this.#call('GET', '/health');
  }

  /** Registers a fault; returns it with its id. */
  addFault(spec: FaultSpec): Promise<ActiveFault> {
    return this.#call('POST', '/faults', spec);
  }

  async listFaults(): Promise<ActiveFault[]> {
    const { faults } = await this.#call<{ faults: ActiveFault[] }>('GET', '/faults');
    return faults;
  }

  /** Removes every fault; returns how many there were. */
  async clearFaults(): Promise<number> {
    const { removed } = await this.#call<{ removed: number }>('DELETE', '/faults');
    return removed;
  }

  /** Removes one fault, given its id or the fault `addFault` returned. */
  async removeFault(fault: string | { readonly id: string }): Promise<void> {
    const id = typeof fault === 'string' ? fault : fault.id;
    await this.#call('DELETE', `/faults/${encodeURIComponent(id)}`);
  }

  /** Replaces a source's limit overrides (`null` = all defaults); returns the limits now in force. */
  async setLimits(source: string, limits: LimitOverrides | RateLimits | null): Promise<EffectiveLimits> {
    const res = await this.#call<{ limits: EffectiveLimits }>('PUT', `/limits/${encodeURIComponent(source)}`, limits);
    return res.limits;
  }

  async getLimits(source: string): Promise<EffectiveLimits> {
    const res = await this.#call<{ limits: EffectiveLimits }>('GET', `/limits/${encodeURIComponent(source)}`);
    return res.limits;
  }

  stats(source: string): Promise<SourceStats> {
    return this.#call('GET', `/stats/${encodeURIComponent(source)}`);
  }

  /** Clears a source's counters and its rate-limit window counts. */
  async resetStats(source: string): Promise<void> {
    await this.#call('POST', `/stats/${encodeURIComponent(source)}/reset`);
  }

  /** `{ now: t }` freezes at t, `{ now: null }` unfreezes, `offsetSeconds` shifts real time. */
  setClock(update: ClockUpdate): Promise<ClockState> {
    return this.#call('PUT', '/clock', update);
  }

  getClock(): Promise<ClockState> {
    return this.#call('GET', '/clock');
  }

  /** Faults, limits, counters, clock and source runtime state back to defaults. */
  async reset(): Promise<void> {
    await this.#call('POST', '/reset');
  }

  /**
   * A source's own control route, `/__sim/<source><path>`. The method defaults to POST when a body
   * is given, else GET.
   */
  sourceControl<T = unknown>(source: string, path: string, body?: unknown, method?: string): Promise<T> {
    const p = path.startsWith('/') ? path : `/${path}`;
    return this.#call(method ?? (body === undefined ? 'GET' : 'POST'), `/${encodeURIComponent(source)}${p}`, body);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.#base}/__sim${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const reason = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new SimulatorControlError(`simulator control ${method} ${url} failed: ${reason}`, 0);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const message =
        parsed && typeof parsed === 'object' && 'error' in parsed && typeof parsed.error === 'string'
          ? parsed.error
          : parsed && typeof parsed === 'object' && 'Err' in parsed
            ? JSON.stringify((parsed as { Err: unknown }).Err)
            : text || res.statusText;
      throw new SimulatorControlError(
        `simulator control ${method} ${path}: ${message} (HTTP ${res.status})`,
        res.status,
      );
    }
    return parsed as T;
  }
}
