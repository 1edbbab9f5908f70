/**
 * The instrument registry of a simulated market kind (spot, futures): the catalogue's instruments,
 * indexed once per market on first use, plus the instruments listed at runtime (control API).
 */

/** What the registry needs of an instrument: its mapped and native ids. */
export interface RegisteredInstrument {
  readonly mapped: string;
  readonly native: string;
}

interface MarketIndex<I> {
  readonly list: I[];
  readonly byMapped: Map<string, I>;
  readonly byNative: Map<string, I>;
}

/** Markets are the caller's to validate: the registry takes known market names only. */
export class InstrumentRegistry<M extends string, I extends RegisteredInstrument> {
  readonly #catalogue: (market: M) => I[];
  readonly #static = new Map<string, MarketIndex<I>>();
  readonly #runtime = new Map<string, I[]>();

  /** `catalogue` builds a market's catalogue instruments (called once per market). */
  constructor(catalogue: (market: M) => I[]) {
    this.#catalogue = catalogue;
  }

  #index(market: M): MarketIndex<I> {
    let idx = this.#static.get(market);
    if (!idx) {
      const list = this.#catalogue(market);
      idx = {
        list,
        byMapped: new Map(list.map((i) => [i.mapped, i])),
        byNative: new Map(list.map((i) => [i.native, i])),
      };
      this.#static.set(market, idx);
    }
    return idx;
  }

  /** Every instrument of a market: catalogue first, then runtime listings. */
  list(market: M): I[] {
    return [...this.#index(market).list, ...(this.#runtime.get(market) ?? [])];
  }

  /**
   * Looks an instrument up as the real API does: with mapping the mapped id is checked first (as
   * sent, then upper-cased; runtime listings before the catalogue), then the native id; without
   * mapping only the native id.
   */
  find(market: M, instrument: string, applyMapping: boolean): I | undefined {
    const idx = this.#index(market);
    const runtime = this.#runtime.get(market) ?? [];
    if (applyMapping) {
      const upper = instrument.toUpperCase();
      const mapped =
        runtime.find((i) => i.mapped === instrument) ??
        idx.byMapped.get(instrument) ??
        runtime.find((i) => i.mapped === upper) ??
        idx.byMapped.get(upper);
      if (mapped) return mapped;
    }
    return runtime.find((i) => i.native === instrument) ?? idx.byNative.get(instrument);
  }

  /** True when the catalogue lists this mapped id on the market. */
  catalogueHas(market: M, mapped: string): boolean {
    return this.#index(market).byMapped.has(mapped);
  }

  /** Lists an instrument at runtime, replacing the runtime listing of `mapped` (the id asked for). */
  add(market: M, mapped: string, instrument: I): void {
    const list = (this.#runtime.get(market) ?? []).filter((i) => i.mapped !== mapped);
    list.push(instrument);
    this.#runtime.set(market, list);
  }

  /** Removes every runtime listing. */
  reset(): void {
    this.#runtime.clear();
  }
}
