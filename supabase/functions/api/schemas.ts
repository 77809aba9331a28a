/** What the environment-activity routes answer as JSON (figures.ts shapes SQL's arrays into these rows). */
import { z } from "@hono/zod-openapi";

const count = z.number().int().nonnegative();
const year = z.number().int();
const month = z.number().int().min(1).max(12);
const day = z.number().int().min(1).max(31);
const isoWeek = z.number().int().min(1).max(53);

const perDay = z.object({ year, month, day, count });
const perWeek = z.object({ year: year.describe("ISO week-year"), week: isoWeek, count });
const perMonth = z.object({ year, month, count });

/** users / developers: registered per day, monthly actives, daily actives per day and daily logins per week / month. */
const daily = z.object({
  per_day: z.array(perDay).describe("Distinct active users of each day of the range"),
  per_week: z.array(perWeek).describe("Daily logins (sum of per_day) of each ISO week the range touches, whole"),
  per_month: z.array(perMonth).describe("Daily logins of each month the range touches, whole"),
});

const users = z.object({
  users: z.object({
    total_users: z.array(perDay),
    monthly_active_users: z.array(perMonth),
    daily_active_users: daily,
  }),
}).describe("stats_type=users");

const developers = z.object({
  developers: z.object({
    total_developers: z.array(perDay),
    monthly_active_developers: z.array(perMonth),
    daily_active_developers: daily,
  }),
}).describe("stats_type=developers");

/** workspaces: the period, then one count per ordinary workspace keyed by its id (0 where it has nothing). */
const workspaceDay = z.object({ year, month, day }).catchall(count);
const workspaceMonth = z.object({ year, month }).catchall(count);
const workspaces = z.object({
  workspaces: z.object({
    total_users: z.array(workspaceDay),
    monthly_active_users: z.array(workspaceMonth),
    daily_active_users: z.object({ per_month: z.array(workspaceMonth) }),
  }),
}).describe("stats_type=workspaces: every row holds one count per ordinary workspace, keyed by workspace id");

/** GET /api/statistics/: the figures of the stats_type asked for. */
export const statisticsOutput = z.union([users, developers, workspaces]);

/** PUT /api/workspaces/:workspace_id: the workspace as saved (edge_api.put_workspace). */
export const workspaceOutput = z.object({
  workspace_id: z.string().min(1).max(128),
  org_id: z.guid(),
  name: z.string(),
  is_development: z.boolean(),
  is_public: z.boolean(),
  created_at: z.iso.datetime({ offset: true }).describe("When the workspace was first seen (Postgres' JSON form)"),
});
