/**
 * `npm ci` installs exactly what package-lock.json says and refuses a lock that lacks a package the platform needs:
 * the deno and supabase CLIs ship one optional package per platform, so every one of them must be locked, whatever
 * platform the lock was written on.
 */
import assert from "node:assert/strict";
import { repoRoot } from "./database.ts";

interface LockedPackage {
  version?: string;
  optionalDependencies?: Record<string, string>;
}

Deno.test("package-lock.json locks every platform's optional package, so npm ci works on linux, macOS and Windows", async () => {
  const lock = JSON.parse(await Deno.readTextFile(`${repoRoot}package-lock.json`));
  const packages: Record<string, LockedPackage> = lock.packages;
  const missing: string[] = [];
  let platformPackages = 0;
  for (const [path, entry] of Object.entries(packages)) {
    for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
      platformPackages++;
      // npm nests a dependency under its dependent when the top level holds another version.
      const locked = packages[`${path ? `${path}/` : ""}node_modules/${name}`] ?? packages[`node_modules/${name}`];
      if (locked?.version !== version) missing.push(`${name}@${version} (wanted by ${path || "the project"})`);
    }
  }
  assert.deepEqual(missing, []);
  assert.ok(platformPackages >= 14, `expected the CLIs' platform packages, found ${platformPackages}`);
});
