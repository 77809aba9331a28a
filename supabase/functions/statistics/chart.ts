// @ts-types="@types/d3-scale"
import { scaleLinear, scaleUtc } from "d3-scale";
// @ts-types="@types/d3-shape"
import { line } from "d3-shape";
// @ts-types="@types/d3-format"
import { format } from "d3-format";
// @ts-types="@types/d3-time-format"
import { utcFormat } from "d3-time-format";

export type Metric = "mau" | "storage" | "bandwidth";
export interface StatsRow {
  date: string;
  mau: number;
  storage: number;
  bandwidth: number;
}

const WIDTH = 800;
const HEIGHT = 400;
const MARGIN = { top: 56, right: 32, bottom: 48, left: 72 };

const metricLabels: Record<Metric, string> = {
  mau: "Monthly active users",
  storage: "Storage",
  bandwidth: "Bandwidth",
};

/** Bytes in SI units (KB, MB, GB, ...) with `precision` significant digits, counts with thousands separators. */
export function formatValue(metric: Metric, value: number, precision = 3): string {
  if (metric === "mau") return format(",~d")(value);
  if (value < 1000) return `${value} B`;
  const scaled = format(`.${precision}~s`)(value);
  return `${scaled.slice(0, -1)} ${scaled.slice(-1).replace("k", "K")}B`;
}

const MAX_Y_TICKS = 5;

/**
 * Counts and bytes are whole: ask d3 for no more ticks than there are units up to the maximum (so a maximum of 1
 * ticks at 0 and 1, never 0.2, 0.4, ...), and keep only whole ticks.
 */
function yTickCount(max: number): number {
  return Math.max(1, Math.min(MAX_Y_TICKS, Math.ceil(max)));
}

/** Tick labels, with as many significant digits as it takes for no two ticks to read the same. */
export function tickLabels(metric: Metric, ticks: number[]): string[] {
  for (let precision = 3;; precision++) {
    const labels = ticks.map((tick) => formatValue(metric, tick, precision));
    if (new Set(labels).size === labels.length || precision >= 17) return labels;
  }
}

const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch]!);

const utcDay = (date: string) => new Date(`${date}T00:00:00Z`);

/**
 * A line chart of one metric over the rows: dated x axis, y axis in human units, title, and <title>/<desc> for
 * assistive technology. Pure string output (no DOM), with one path point per row.
 */
export function renderChart(rows: StatsRow[], metric: Metric, subject: string, from: string, to: string): string {
  const label = metricLabels[metric];
  const title = `${label} — ${subject}`;
  const values = rows.map((row) => row[metric]);
  const x = scaleUtc().domain([utcDay(from), utcDay(to)]).range([MARGIN.left, WIDTH - MARGIN.right]);
  const max = Math.max(1, ...values);
  const tickCount = yTickCount(max);
  const y = scaleLinear().domain([0, max]).nice(tickCount).range([HEIGHT - MARGIN.bottom, MARGIN.top]);
  const path = line<StatsRow>().digits(2).x((row) => x(utcDay(row.date))).y((row) => y(row[metric]))(rows) ?? "";
  const dayLabel = utcFormat("%b %d");
  // Day granularity: no tick between two midnights.
  const xTicks = x.ticks(8).filter((tick) => tick.getUTCHours() === 0).map((tick) =>
    `<g transform="translate(${x(tick).toFixed(1)},${HEIGHT - MARGIN.bottom})"><line y2="6" stroke="#888"/>` +
    `<text y="20" text-anchor="middle">${dayLabel(tick)}</text></g>`
  );
  const yTickValues = y.ticks(tickCount).filter(Number.isInteger);
  const yLabels = tickLabels(metric, yTickValues);
  const yTicks = yTickValues.map((tick, i) =>
    `<g transform="translate(${MARGIN.left},${y(tick).toFixed(1)})"><line x2="${WIDTH - MARGIN.left - MARGIN.right}" ` +
    `stroke="#e5e5e5"/><text x="-8" dy="0.32em" text-anchor="end">${escapeXml(yLabels[i])}</text></g>`
  );
  const latest = values.length ? formatValue(metric, values[values.length - 1]) : "no data";
  const description = `${label} of ${subject} per day from ${from} to ${to}; ${rows.length} days; latest: ${latest}.`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" ` +
    `role="img" aria-labelledby="chart-title chart-desc" font-family="sans-serif" font-size="12">`,
    `<title id="chart-title">${escapeXml(title)}</title>`,
    `<desc id="chart-desc">${escapeXml(description)}</desc>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="28" font-size="18" font-weight="bold">${escapeXml(title)}</text>`,
    `<g class="y-axis">${yTicks.join("")}</g>`,
    `<g class="x-axis"><line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${HEIGHT - MARGIN.bottom}" ` +
    `y2="${HEIGHT - MARGIN.bottom}" stroke="#888"/>${xTicks.join("")}</g>`,
    rows.length
      ? `<path class="line" d="${path}" fill="none" stroke="#2563eb" stroke-width="2"/>`
      : `<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">No data in this range</text>`,
    // A line through one day has no length: mark that day's value.
    rows.length === 1
      ? `<circle class="point" cx="${x(utcDay(rows[0].date)).toFixed(1)}" cy="${y(values[0]).toFixed(1)}" r="4" ` +
        `fill="#2563eb"/>`
      : "",
    `</svg>`,
  ].join("\n");
}
