/** Reads one Prometheus histogram from a /metrics text, and the difference of two readings. */

export interface HistogramReading {
  /** cumulative count per upper bound (le), ascending, +Inf last */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

export async function readHistogram(baseUrl: string, name: string): Promise<HistogramReading | null> {
  try {
    const response = await fetch(`${baseUrl}/metrics`);
    if (!response.ok) return null;
    return parseHistogram(await response.text(), name);
  } catch {
    return null;
  }
}

export function parseHistogram(text: string, name: string): HistogramReading | null {
  const buckets: { le: number; count: number }[] = [];
  let sum = Number.NaN;
  let count = Number.NaN;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}_bucket{`)) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (le !== undefined)
        buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: value });
    } else if (line.startsWith(`${name}_sum`)) {
      sum = Number(line.slice(line.lastIndexOf(' ') + 1));
    } else if (line.startsWith(`${name}_count`)) {
      count = Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  if (buckets.length === 0 || !Number.isFinite(count)) return null;
  buckets.sort((a, b) => a.le - b.le);
  return { buckets, sum, count };
}

export function diffHistogram(after: HistogramReading, before: HistogramReading | null): HistogramReading {
  if (!before) return after;
  return {
    buckets: after.buckets.map((b, i) => ({ le: b.le, count: b.count - (before.buckets[i]?.count ?? 0) })),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

export interface HistogramSummary {
  count: number;
  mean: number;
  /** the upper bound of the bucket holding the median / 99th percentile */
  p50Le: number;
  p99Le: number;
}

export function summarize(h: HistogramReading): HistogramSummary {
  const bound = (q: number) => {
    const target = q * h.count;
    return h.buckets.find((b) => b.count >= target)?.le ?? Number.NaN;
  };
  return {
    count: h.count,
    mean: h.count > 0 ? h.sum / h.count : Number.NaN,
    p50Le: bound(0.5),
    p99Le: bound(0.99),
  };
}
