/**
 * The environment-activity figures recomputed from the events sent, independently of Tally: what
 * GET /api/statistics/ must answer, by the definitions of the issue (not by Tally's rollups).
 */
import { addDays, addMonths, addWeeks, getISOWeek, getISOWeekYear, startOfISOWeek, startOfMonth } from "date-fns";
import { dayString, utcDay } from "../../../shared/days.ts";

export interface ActivityEvent {
  workspace_id: string;
  user_id: string;
  kind: "user" | "developer";
  day: string;
  org_domain?: string;
}

export interface WorkspaceKind {
  is_development: boolean;
  is_public: boolean;
}

type Row = Record<string, number>;

/** Everything received so far (in the order sent) and the workspaces' current kinds. */
export class ActivityOracle {
  readonly events: ActivityEvent[] = [];
  readonly kinds = new Map<string, WorkspaceKind>();

  receive(events: ActivityEvent[]) {
    for (const event of events) {
      this.events.push(event);
      if (!this.kinds.has(event.workspace_id)) {
        this.kinds.set(event.workspace_id, { is_development: false, is_public: false });
      }
    }
  }

  /** The first domain received for each user wins; events without one do not count. */
  private domains(): Map<string, string> {
    const domains = new Map<string, string>();
    for (const event of this.events) {
      if (event.org_domain && !domains.has(event.user_id)) domains.set(event.user_id, event.org_domain.toLowerCase());
    }
    return domains;
  }

  private selected(domain: string | undefined): ActivityEvent[] {
    if (domain === undefined) return this.events;
    const domains = this.domains();
    return this.events.filter((event) => domains.get(event.user_id) === domain.toLowerCase());
  }

  expected(statsType: "users" | "developers" | "workspaces", start: string, end: string, domain?: string) {
    const events = this.selected(domain);
    const span = periods(start, end);
    if (statsType === "workspaces") return { workspaces: this.workspaceFigures(events, span) };
    const audience = statsType === "users" ? "user" : "developer";
    const counted = events.filter((event) => {
      const kind = this.kinds.get(event.workspace_id)!;
      return event.kind === audience && !kind.is_public && (audience === "developer" || !kind.is_development);
    });
    const registering = audience === "user" ? events : events.filter((event) => event.kind === "developer");
    const figures = audienceFigures(registering, counted, span);
    return statsType === "users"
      ? {
        users: {
          total_users: figures.total,
          monthly_active_users: figures.monthly,
          daily_active_users: figures.daily,
        },
      }
      : {
        developers: {
          total_developers: figures.total,
          monthly_active_developers: figures.monthly,
          daily_active_developers: figures.daily,
        },
      };
  }

  private workspaceFigures(events: ActivityEvent[], span: Periods) {
    const ordinary = [...this.kinds].filter(([, kind]) => !kind.is_development && !kind.is_public).map(([id]) => id);
    const perWorkspace = (make: (workspaceEvents: ActivityEvent[]) => number) =>
      Object.fromEntries(
        ordinary.map((id) => [id, make(events.filter((event) => event.workspace_id === id))]),
      );
    return {
      total_users: span.days.map((day) => ({
        ...dayFields(day),
        ...perWorkspace((own) => registeredBy(own, day)),
      })),
      monthly_active_users: span.months.map((month) => ({
        ...monthFields(month),
        ...perWorkspace((own) => distinctUsers(own.filter((event) => sameMonth(event.day, month)))),
      })),
      daily_active_users: {
        per_month: span.months.map((month) => ({
          ...monthFields(month),
          ...perWorkspace((own) => logins(own.filter((event) => sameMonth(event.day, month)))),
        })),
      },
    };
  }
}

interface Periods {
  days: string[];
  weeks: string[];
  months: string[];
}

/** The days of [start, end] and the ISO weeks (their Mondays) and months (their first days) it touches. */
export function periods(start: string, end: string): Periods {
  const last = utcDay(end);
  const series = (first: Date, next: (date: Date) => Date) => {
    const list: string[] = [];
    for (let date = first; date <= last; date = next(date)) list.push(dayString(date));
    return list;
  };
  return {
    days: series(utcDay(start), (date) => addDays(date, 1)),
    weeks: series(startOfISOWeek(utcDay(start)), (date) => addWeeks(date, 1)),
    months: series(startOfMonth(utcDay(start)), (date) => addMonths(date, 1)),
  };
}

const distinctUsers = (events: ActivityEvent[]) => new Set(events.map((event) => event.user_id)).size;
/** Daily logins: each day's distinct users, summed. */
const logins = (events: ActivityEvent[]) => new Set(events.map((event) => `${event.day}|${event.user_id}`)).size;
const sameMonth = (day: string, month: string) => day.slice(0, 7) === month.slice(0, 7);
const inWeek = (day: string, monday: string) => day >= monday && day <= dayString(addDays(utcDay(monday), 6));

/** Users whose earliest event is on or before `day`. */
function registeredBy(events: ActivityEvent[], day: string): number {
  const first = new Map<string, string>();
  for (const event of events) {
    if (!first.has(event.user_id) || event.day < first.get(event.user_id)!) first.set(event.user_id, event.day);
  }
  return [...first.values()].filter((firstDay) => firstDay <= day).length;
}

function audienceFigures(registering: ActivityEvent[], counted: ActivityEvent[], span: Periods) {
  return {
    total: span.days.map((day) => ({ ...dayFields(day), count: registeredBy(registering, day) })),
    monthly: span.months.map((month) => ({
      ...monthFields(month),
      count: distinctUsers(counted.filter((event) => sameMonth(event.day, month))),
    })),
    daily: {
      per_day: span.days.map((day) => ({
        ...dayFields(day),
        count: distinctUsers(counted.filter((event) => event.day === day)),
      })),
      per_week: span.weeks.map((monday) => ({
        year: getISOWeekYear(utcDay(monday)),
        week: getISOWeek(utcDay(monday)),
        count: logins(counted.filter((event) => inWeek(event.day, monday))),
      })),
      per_month: span.months.map((month) => ({
        ...monthFields(month),
        count: logins(counted.filter((event) => sameMonth(event.day, month))),
      })),
    },
  };
}

function dayFields(day: string): Row {
  const [year, month, dayOfMonth] = day.split("-").map(Number);
  return { year, month, day: dayOfMonth };
}

function monthFields(month: string): Row {
  const [year, monthOfYear] = month.split("-").map(Number);
  return { year, month: monthOfYear };
}
