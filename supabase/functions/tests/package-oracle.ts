/**
 * The package statistics as the documents define them, computed apart from the SQL: views per UTC day, binned by
 * day, ISO week (from Monday) or calendar month with plain UTC arithmetic, both ends rounded down to their bin and
 * both bins included, bins without views left out, oldest first.
 */
export type Resolution = "day" | "isoWeek" | "month";

const DAY_MS = 86_400_000;

/** The start of the bin holding an instant, in ms since the epoch. */
export function binStart(instant: Date, resolution: Resolution): number {
  const dayNumber = Math.floor(instant.getTime() / DAY_MS);
  if (resolution === "day") return dayNumber * DAY_MS;
  // 1970-01-01 was a Thursday: three days after a Monday.
  if (resolution === "isoWeek") return (dayNumber - ((dayNumber + 3) % 7 + 7) % 7) * DAY_MS;
  return Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), 1);
}

function nextBin(start: number, resolution: Resolution): number {
  if (resolution === "day") return start + DAY_MS;
  if (resolution === "isoWeek") return start + 7 * DAY_MS;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

export class PackageViewsOracle {
  /** Views per UTC day (YYYY-MM-DD). */
  readonly byDay = new Map<string, number>();

  add(day: string, views: number) {
    this.byDay.set(day, (this.byDay.get(day) ?? 0) + views);
  }

  data(resolution: Resolution, after: Date, before: Date): { Period: string; Value: number }[] {
    const from = binStart(after, resolution);
    const until = nextBin(binStart(before, resolution), resolution);
    const bins = new Map<number, number>();
    for (const [day, views] of this.byDay) {
      const at = Date.parse(`${day}T00:00:00Z`);
      if (at < from || at >= until) continue;
      const bin = binStart(new Date(at), resolution);
      bins.set(bin, (bins.get(bin) ?? 0) + views);
    }
    return [...bins].sort(([a], [b]) => a - b).map(([bin, views]) => ({
      Period: new Date(bin).toISOString(),
      Value: views,
    }));
  }
}
