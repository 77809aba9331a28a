/**
 * npm run test:browser: the API reference page in headless Chromium (Debian's `chromium`, driven by playwright-core).
 * A throwaway database with the seed, the functions served as `npm run dev` serves them, then the page at /docs/ must
 * list every route of the merged OpenAPI document, load nothing from outside this server, and send one request from
 * its API client (GET /apikey with the seed's demo key) that the server answers with 200. Ends `N passed, N failed`.
 */
import { chromium, type Page } from "playwright-core";
import { prepareDatabase, testServerUrl, withThrowawayDatabases } from "../shared/database.ts";
import { DEMO_API_KEY } from "../shared/demo.ts";
import { serveFunctions } from "../shared/functions-server.ts";
import { operations } from "../shared/fuzz/operations.ts";

const executablePath = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
try {
  await Deno.stat(executablePath);
} catch {
  console.error(
    `npm run test:browser needs Chromium at ${executablePath}: apt-get install chromium (or set CHROMIUM_PATH)`,
  );
  Deno.exit(1);
}

// As the machine's notes say: without the background-networking flags Chromium calls out at every start.
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A check of the open page; `outside` holds every URL it requested from another origin. */
type Check = [name: string, run: (page: Page, base: string, outside: string[]) => Promise<void>];

const checks: Check[] = [
  ["the page lists every route every function serves", async (page, base) => {
    // From each function's own document, not the merged one the page shows.
    const summaries = (await operations(`${base}/functions/v1`)).map((operation) => operation.summary);
    // The sidebar shows the first group open; the others open on a click (their buttons then read "Close Group").
    const closed = page.getByRole("button", { name: /^Open Group - / });
    for (let opened = 0; opened < 20 && await closed.count(); opened++) await closed.first().click();
    const text = await page.locator("nav, aside").first().innerText();
    const missing = summaries.filter((summary) => !text.replaceAll(/\s+/g, " ").includes(summary));
    if (summaries.length < 30 || missing.length) throw new Error(`not listed: ${missing.join(" | ")}`);
  }],
  ["a request sent from the page's API client is answered 200", async (page, base) => {
    const answered = page.waitForResponse((response) => response.url().startsWith(`${base}/functions/v1/apikey`));
    await page.getByRole("button", { name: /Test Request\s*\(get \/apikey\)/ }).first().click();
    await page.getByPlaceholder(/^QUxMIF/).first().fill(DEMO_API_KEY);
    await page.getByRole("button", { name: /^Send/ }).first().click();
    const response = await answered;
    if (response.status() !== 200) throw new Error(`answered ${response.status()}: ${await response.text()}`);
  }],
  ["nothing is loaded from outside this server (no CDN, fonts or telemetry)", (_page, _base, outside) => {
    return outside.length ? Promise.reject(new Error(outside.join(", "))) : Promise.resolve();
  }],
];

let passed = 0;
let failed = 0;
await withThrowawayDatabases(testServerUrl, ["browser"], async ([databaseUrl]) => {
  await prepareDatabase(databaseUrl, { seed: true });
  Deno.env.set("SUPABASE_DB_URL", databaseUrl);
  const server = await serveFunctions({ port: 0 });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(base)) outside.push(request.url());
    });
    await page.goto(`${base}/docs/`);
    await page.getByRole("heading", { name: "Tally API" }).first().waitFor();
    for (const [name, run] of checks) {
      try {
        await run(page, base, outside);
        passed++;
        console.log(`ok: ${name}`);
      } catch (error) {
        failed++;
        console.log(`FAILED: ${name}: ${error instanceof Error ? error.message : error}`);
      }
    }
  } finally {
    await browser.close();
    await server.shutdown();
    const { closeDatabase } = await import("../supabase/functions/_shared/db.ts");
    await closeDatabase();
  }
});
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);
