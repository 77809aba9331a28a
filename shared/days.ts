/** UTC calendar days as the APIs write them (`YYYY-MM-DD`), for scripts and tests. */
import { formatISO } from "date-fns";

/** The `YYYY-MM-DD` of a date (a UTC midnight, as utcDay and utcToday give). */
export const dayString = (date: Date) => formatISO(date, { representation: "date" });

/** Midnight UTC of a `YYYY-MM-DD` day. */
export const utcDay = (day: string) => new Date(`${day}T00:00:00Z`);

/** Midnight UTC of the current UTC day. */
export const utcToday = () => utcDay(new Date().toISOString().slice(0, 10));
