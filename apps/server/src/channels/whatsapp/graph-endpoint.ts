/** Where the Graph API is, and how calls reach it: the settings both Graph clients take. */
export interface GraphEndpointOptions {
  /** e.g. https://graph.facebook.com; the sandbox and tests point it at the simulator */
  graphUrl: string;
  /** e.g. v23.0 */
  apiVersion: string;
  fetch?: typeof fetch;
  /** how long a call may wait (each client says what its limit bounds, and its default) */
  timeoutMs?: number;
}

export class GraphEndpoint {
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  /** graphUrl/apiVersion, without stray slashes */
  private readonly base: string;

  constructor(options: GraphEndpointOptions, defaultTimeoutMs: number) {
    const version = options.apiVersion.replace(/^\/+|\/+$/g, '');
    this.base = `${options.graphUrl.replace(/\/+$/, '')}/${version}`;
    // Wrapped so the platform fetch is never called with another `this`.
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  }

  /** The versioned URL of `segments` (each one encoded), with the query parameters that are set. */
  url(segments: readonly string[], query: Record<string, string | undefined> = {}): string {
    const path = segments.map((segment) => encodeURIComponent(segment)).join('/');
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) params.set(key, value);
    }
    const search = params.toString();
    return `${this.base}/${path}${search === '' ? '' : `?${search}`}`;
  }
}
