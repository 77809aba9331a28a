/** The statistics as CSV: one line per figure, its series first (`daily_active_users.per_week`, ...). */

type Row = Record<string, number>;
type Series = Row[] | { [part: string]: Row[] };
/** One stats_type's figures: series by name (`total_users`, `daily_active_users` with its parts, ...). */
export type Figures = Record<string, Series>;
const PERIOD_COLUMNS = ["year", "month", "week", "day"];

function seriesRows(figures: Figures): [string, Row][] {
  return Object.entries(figures).flatMap(([name, series]) =>
    Array.isArray(series)
      ? series.map((row): [string, Row] => [name, row])
      : Object.entries(series).flatMap(([part, rows]) => rows.map((row): [string, Row] => [`${name}.${part}`, row]))
  );
}

const csvField = (value: string) => /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;

/** users / developers: `series,year,month,week,day,count`. */
export function audienceCsv(figures: Figures): string {
  const lines = seriesRows(figures).map(([series, row]) =>
    [series, ...PERIOD_COLUMNS.map((column) => row[column] ?? ""), row.count].join(",")
  );
  return ["series,year,month,week,day,count", ...lines].join("\n") + "\n";
}

/** workspaces: `series,year,month,day,workspace_id,count`, one line per workspace of each row. */
export function workspacesCsv(figures: Figures): string {
  const lines = seriesRows(figures).flatMap(([series, row]) => {
    const period = [row.year, row.month, row.day ?? ""];
    return Object.entries(row).filter(([key]) => !PERIOD_COLUMNS.includes(key))
      .map(([workspace, count]) => [series, ...period, csvField(workspace), count].join(","));
  });
  return ["series,year,month,day,workspace_id,count", ...lines].join("\n") + "\n";
}
