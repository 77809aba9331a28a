/**
 * Request latency in the benchmark, measured against a baseline request interleaved with it: each sample of the
 * measured route is paired with a sample of the baseline taken just before or after it (the order alternates), so
 * that a ratio compares the two at the same moments. This machine's speed drifts by up to 2x within a run; two
 * measurements taken minutes apart moved a ratio by as much.
 */
export type Latency = { p50: number; p99: number; baseline: { p50: number; p99: number } };
export type Measure = (
  path: string,
  options?: { headers?: (call: number) => Record<string, string>; status?: number },
) => Promise<Latency>;

const WARM_UP_CALLS = 20;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const p50p99 = (samples: number[]) => {
  const sorted = samples.toSorted((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
};

export function latencyAgainst(base: string, authorization: string, baselinePath: string, requests: number): Measure {
  const timed = async (path: string, headers: Record<string, string>, status: number) => {
    const start = performance.now();
    const reply = await fetch(`${base}/${path}`, { headers: { authorization, ...headers } });
    await reply.arrayBuffer();
    if (reply.status !== status) throw new Error(`${path}: ${reply.status}`);
    return performance.now() - start;
  };
  return async (path, options = {}) => {
    const measured = (n: number) => timed(path, options.headers?.(n) ?? {}, options.status ?? 200);
    const baseline = () => timed(baselinePath, {}, 200);
    for (let i = 0; i < WARM_UP_CALLS; i++) {
      await baseline();
      await measured(-1 - i);
    }
    const samples: number[] = [];
    const baselineSamples: number[] = [];
    for (let i = 0; i < requests; i++) {
      if (i % 2 === 0) baselineSamples.push(await baseline());
      samples.push(await measured(i));
      if (i % 2 === 1) baselineSamples.push(await baseline());
    }
    return { ...p50p99(samples), baseline: p50p99(baselineSamples) };
  };
}

export const ratio = (value: number, baseline: number) => Number((value / baseline).toFixed(2));

/** p50 and p99 of a measure as ratios to its own interleaved baseline. */
export const ratios = (measured: Latency) => ({
  p50: ratio(measured.p50, measured.baseline.p50),
  p99: ratio(measured.p99, measured.baseline.p99),
});
