/**
 * The traffic statistics as the issue defines them, computed apart from the SQL from the events themselves: sums per
 * group (UTC day, month or year, cut to the range), bytes null where no event of the group measured them, the 5
 * spaces with the most bytes (then requests, then the lower id) and the rest, and the raw series per (group, space)
 * ordered by date then space.
 */
export type Group = "day" | "month" | "year";

interface Cell {
  requests: number;
  bytes: number;
  measured: number;
}

export interface Entry {
  date: string;
  api_requests: number;
  total_bytes: number | null;
}

const DAY_MS = 86_400_000;

/** Every `YYYY-MM-DD` from start to end, both included. */
export function daysBetween(start: string, end: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${start}T00:00:00Z`); t <= Date.parse(`${end}T00:00:00Z`); t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

const label = (day: string, group: Group) => day.slice(0, group === "day" ? 10 : group === "month" ? 7 : 4);

function addTo(total: Cell, cell: Cell) {
  total.requests += cell.requests;
  total.bytes += cell.bytes;
  total.measured += cell.measured;
}

const entry = (date: string, cell: Cell): Entry => ({
  date,
  api_requests: cell.requests,
  total_bytes: cell.measured > 0 ? cell.bytes : null,
});

export class TrafficOracle {
  /** Per space and UTC day. */
  readonly cells = new Map<number, Map<string, Cell>>();

  constructor(readonly monthlyLimit: number | null = null) {}

  add(spaceId: number, day: string, requests: number, bytes?: number) {
    const days = this.cells.get(spaceId) ?? new Map<string, Cell>();
    this.cells.set(spaceId, days);
    const cell = days.get(day) ?? { requests: 0, bytes: 0, measured: 0 };
    days.set(day, cell);
    addTo(cell, { requests, bytes: bytes ?? 0, measured: bytes === undefined ? 0 : 1 });
  }

  /** One space's sums per group label over [start, end], groups with traffic only. */
  private spaceGroups(spaceId: number, start: string, end: string, group: Group): Map<string, Cell> {
    const groups = new Map<string, Cell>();
    for (const [day, cell] of [...(this.cells.get(spaceId) ?? [])].sort(([a], [b]) => a.localeCompare(b))) {
      if (day < start || day > end) continue;
      const key = label(day, group);
      const total = groups.get(key) ?? { requests: 0, bytes: 0, measured: 0 };
      groups.set(key, total);
      addTo(total, cell);
    }
    return groups;
  }

  private sumDays(filter: (day: string) => boolean): Cell {
    const total = { requests: 0, bytes: 0, measured: 0 };
    for (const days of this.cells.values()) {
      for (const [day, cell] of days) if (filter(day)) addTo(total, cell);
    }
    return total;
  }

  /** The response body and the Total header for one request. */
  statistics(start: string, end: string, group: Group, page: number, perPage: number, today: string) {
    const labels = [...new Set(daysBetween(start, end).map((day) => label(day, group)))];
    const perSpace = [...this.cells.keys()].map((spaceId) => {
      const groups = this.spaceGroups(spaceId, start, end, group);
      const total = { requests: 0, bytes: 0, measured: 0 };
      groups.forEach((cell) => addTo(total, cell));
      return { spaceId, groups, total };
    }).filter(({ groups }) => groups.size > 0);
    perSpace.sort((a, b) =>
      b.total.bytes - a.total.bytes || b.total.requests - a.total.requests || a.spaceId - b.spaceId
    );
    const top = perSpace.slice(0, 5);
    const others = perSpace.slice(5);

    const overall = labels.map((date) => {
      const cell = { requests: 0, bytes: 0, measured: 0 };
      perSpace.forEach(({ groups }) => groups.has(date) && addTo(cell, groups.get(date)!));
      return entry(date, cell);
    });
    const topSpaces: Record<string, Entry[]> = {};
    for (const { spaceId, groups } of top) {
      topSpaces[String(spaceId)] = [...groups].map(([date, cell]) => entry(date, cell));
    }
    if (others.length) {
      topSpaces.other_spaces = labels.flatMap((date) => {
        const holding = others.filter(({ groups }) => groups.has(date));
        if (!holding.length) return [];
        const cell = { requests: 0, bytes: 0, measured: 0 };
        holding.forEach(({ groups }) => addTo(cell, groups.get(date)!));
        return [entry(date, cell)];
      });
    }
    const raw = perSpace.flatMap(({ spaceId, groups }) =>
      [...groups].map(([date, cell]) => ({ ...entry(date, cell), space_id: spaceId }))
    ).sort((a, b) => a.date.localeCompare(b.date) || a.space_id - b.space_id);

    const lastWeek = daysBetween(
      new Date(Date.parse(`${today}T00:00:00Z`) - 6 * DAY_MS).toISOString().slice(0, 10),
      today,
    );
    const inRange = this.sumDays((day) => day >= start && day <= end);
    return {
      total: raw.length,
      body: {
        montly_traffic_limit: this.monthlyLimit,
        monthly_traffic_limit: this.monthlyLimit,
        yearly_traffic_limit: this.monthlyLimit === null ? null : this.monthlyLimit * 12,
        traffic_used_this_year: this.sumDays((day) => day.slice(0, 4) === today.slice(0, 4)).bytes,
        cumulated_traffic: {
          requests_used_last_days: this.sumDays((day) => lastWeek.includes(day)).requests,
          total_requests_per_time_period: inRange.requests,
          total_traffic_per_time_period: inRange.bytes,
          traffic: overall,
        },
        traffic_top_spaces: topSpaces,
        traffic: raw.slice((page - 1) * perPage, page * perPage),
      },
    };
  }
}
