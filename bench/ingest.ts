/**
 * Ingest in the benchmark: HTTP /ingest against a plain multi-row INSERT of the same events into an indexed table,
 * from the same client at the same concurrency, one and four batches in flight, in rounds that alternate which path
 * goes first; the ratio reported is the median of the rounds' ratios.
 */
import postgres from "postgres";
import type { Batch } from "./devices.ts";

export interface IngestBench {
  base: string;
  databaseUrl: string;
  key: string;
  batches: number;
  rounds: number;
  warmUpBatches: number;
}

export const ENVIRONMENT_ORG = "00000000-0000-4000-8000-0000000000a3";

/** Returning users of org C active today, each in one of their five workspaces (as bench/generate.sql has them). */
export function activityBatches(tag: string, count: number): Batch[] {
  const now = Date.now();
  const offset = [...tag].reduce((sum, char) => sum + char.charCodeAt(0), 0);
  return Array.from({ length: count }, (_, batch) => ({
    org_id: ENVIRONMENT_ORG,
    events: Array.from({ length: 1000 }, (_, i) => {
      const user = 1 + (((batch * 1000 + i) * 7919 + offset * 104729) % 50_000);
      const workspace = 1 + ((user * 7 + (i % 5) * 41) % 200);
      return {
        type: "workspace.activity",
        workspace_id: `ws-${String(workspace).padStart(3, "0")}`,
        user_id: `user-${user}`,
        kind: user % 10 === 0 && i % 2 === 0 ? "developer" : "user",
        org_domain: user % 2 === 0 ? "acme.com" : "beta.io",
        timestamp: new Date(now - ((batch * 1000 + i) % 600_000)).toISOString(),
      };
    }),
  }));
}

/** Events per second of sending every batch, `inFlight` at a time. */
async function eventsPerSecond(batches: Batch[], inFlight: number, send: (batch: Batch) => Promise<void>) {
  const queue = [...batches];
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) await send(batch);
  }));
  return (batches.length * 1000) / ((performance.now() - start) / 1000);
}

/** The two ingest paths and their measurement, against one server and database. */
export function ingestBench(
  { base, databaseUrl, key, batches: batchCount, rounds: roundCount, warmUpBatches }: IngestBench,
) {
  function ingestRate(batches: Batch[], inFlight: number) {
    return eventsPerSecond(batches, inFlight, async (batch) => {
      const reply = await fetch(`${base}/ingest`, {
        method: "POST",
        headers: { authorization: key, "content-type": "application/json" },
        body: JSON.stringify(batch),
      });
      await reply.arrayBuffer();
      if (!reply.ok) throw new Error(`ingest: ${reply.status}`);
    });
  }

  async function plainInsertRate(batches: Batch[], inFlight: number) {
    const sql = postgres(databaseUrl, { max: inFlight, onnotice: () => {} });
    // Its own schema, which PostgREST does not serve: a table in public without row-level security is what Supabase's
    // advisor reports as an error (kept databases of earlier runs had it there).
    await sql`drop table if exists public.bench_plain_events`;
    await sql`create schema if not exists bench`;
    await sql`create table if not exists bench.plain_events (app_id text, device_id text, occurred_at timestamptz)`;
    await sql`create index if not exists plain_events_idx on bench.plain_events (app_id, occurred_at)`;
    const rate = await eventsPerSecond(batches, inFlight, async ({ events }) => {
      // The subject and the actor of each event, indexed as the rollups' keys would be.
      const rows = events.map((e) => ({
        app_id: String(e.app_id ?? e.workspace_id),
        device_id: String(e.device_id ?? e.user_id),
        occurred_at: String(e.timestamp),
      }));
      await sql`insert into bench.plain_events ${sql(rows)}`;
    });
    await sql.end();
    return rate;
  }

  /** HTTP ingest against the plain INSERT of the same events, one and four batches in flight. */
  async function measureIngest(
    events: string,
    makeBatches: (tag: string, count: number) => Batch[] | Promise<Batch[]>,
  ) {
    const modes = [];
    for (const inFlight of [1, 4]) {
      // Both paths run a few batches first, so each pooled connection has planned its statements.
      const warmUp = await makeBatches(`w${inFlight}`, warmUpBatches);
      await plainInsertRate(warmUp, inFlight);
      await ingestRate(warmUp, inFlight);
      // Rounds alternate which path goes first, and each round's ratio compares two measurements taken seconds
      // apart: the machine's speed drifts between runs and even within one.
      const rounds = [];
      for (let round = 0; round < roundCount; round++) {
        const batches = await makeBatches(`f${inFlight}r${round}`, batchCount);
        let plain = 0, http = 0;
        if (round % 2 === 0) {
          plain = await plainInsertRate(batches, inFlight);
          http = await ingestRate(batches, inFlight);
        } else {
          http = await ingestRate(batches, inFlight);
          plain = await plainInsertRate(batches, inFlight);
        }
        rounds.push({ plain, http, ratio: http / plain });
      }
      modes.push({
        events,
        batches_in_flight: inFlight,
        http: Math.round(median(rounds.map((r) => r.http))),
        plain: Math.round(median(rounds.map((r) => r.plain))),
        ratio: Number(median(rounds.map((r) => r.ratio)).toFixed(2)),
        round_ratios: rounds.map((r) => Number(r.ratio.toFixed(2))),
      });
    }
    return modes;
  }
  return { ingestRate, measureIngest };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
