/** What can go wrong on purpose. Rates are probabilities in [0, 1]. */
export interface FaultSettings {
  /** added before every Graph API answer */
  latencyMs: number;
  /** Graph requests answered with a 500 (code 131000, transient) */
  errorRate: number;
  /** Graph requests that never get an answer (the client must time out) */
  timeoutRate: number;
  /** webhook events silently lost */
  webhookDropRate: number;
  /** webhook events delivered twice */
  webhookDuplicateRate: number;
  /** webhook events held back and delivered after the next one */
  webhookReorderRate: number;
}

export const NO_FAULTS: FaultSettings = {
  latencyMs: 0,
  errorRate: 0,
  timeoutRate: 0,
  webhookDropRate: 0,
  webhookDuplicateRate: 0,
  webhookReorderRate: 0,
};

const KEYS = Object.keys(NO_FAULTS) as (keyof FaultSettings)[];

/** Fault knobs, changeable at any time (in-process or via /_simulator/faults). */
export class Faults {
  private settings: FaultSettings;

  constructor(
    initial: Partial<FaultSettings>,
    private readonly random: () => number,
  ) {
    this.settings = { ...NO_FAULTS };
    this.set(initial);
  }

  get(): FaultSettings {
    return { ...this.settings };
  }

  /** Merges the given knobs; throws on unknown names or out-of-range values. */
  set(patch: Partial<Record<string, unknown>>): FaultSettings {
    const next = { ...this.settings };
    for (const [key, value] of Object.entries(patch)) {
      if (!KEYS.includes(key as keyof FaultSettings)) throw new RangeError(`unknown fault "${key}"`);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new RangeError(`fault "${key}" must be a non-negative number`);
      }
      if (key !== 'latencyMs' && value > 1) throw new RangeError(`fault "${key}" is a rate between 0 and 1`);
      next[key as keyof FaultSettings] = value;
    }
    this.settings = next;
    return this.get();
  }

  reset(): FaultSettings {
    this.settings = { ...NO_FAULTS };
    return this.get();
  }

  /** true with the probability configured for this knob */
  roll(key: Exclude<keyof FaultSettings, 'latencyMs'>): boolean {
    const rate = this.settings[key];
    return rate > 0 && (rate >= 1 || this.random() < rate);
  }
}
