/**
 * The IAM grants are built from functions/adapters/table-access.ts, and emulators do not enforce IAM: a DynamoDB call
 * or a key prefix an adapter starts using without being listed there would only fail in production (AccessDenied).
 * These tests read the code itself: every command each adapter constructs and every partition key it builds must be
 * declared, and every function must be granted exactly the adapters its code reaches.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SYNC_STATE_ATTRIBUTES } from "../../functions/adapters/order-repository.ts";
import { keys } from "../../functions/adapters/table.ts";
import {
  ADAPTER_TABLE_ACCESS,
  FUNCTION_TABLE_USE,
  type FunctionTableUse,
  NARROW_TABLE_ACCESS,
  type NarrowTableAccess,
  PARTITIONS,
  type PartitionKind,
  type TableAccess,
  type TableAction,
  type TableAdapter,
  tableGrantsOf,
} from "../../functions/adapters/table-access.ts";
import { unknownCallbackKey } from "../../functions/adapters/unknown-callback-repository.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const FUNCTIONS = join(ROOT, "functions");
const ADAPTERS = join(FUNCTIONS, "adapters");
const source = (file: string) => readFileSync(file, "utf8");

/** IAM StringLike, as the LeadingKeys conditions are evaluated (only `*` is used). */
const globMatches = (pattern: string, value: string) => {
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`).test(value);
};
const kindsMatching = (pk: string) =>
  (Object.keys(PARTITIONS) as PartitionKind[]).filter((kind) => globMatches(PARTITIONS[kind], pk));

/** SDK command classes (client-dynamodb and lib-dynamodb) -> the IAM action they need. */
const COMMAND_ACTIONS: Record<string, TableAction | "Scan" | "TransactWriteItems" | "TransactGetItems"> = {
  GetCommand: "GetItem",
  GetItemCommand: "GetItem",
  BatchGetCommand: "BatchGetItem",
  BatchGetItemCommand: "BatchGetItem",
  QueryCommand: "Query",
  PutCommand: "PutItem",
  PutItemCommand: "PutItem",
  UpdateCommand: "UpdateItem",
  UpdateItemCommand: "UpdateItem",
  DeleteCommand: "DeleteItem",
  DeleteItemCommand: "DeleteItem",
  BatchWriteCommand: "BatchWriteItem",
  BatchWriteItemCommand: "BatchWriteItem",
  ScanCommand: "Scan",
  TransactWriteCommand: "TransactWriteItems",
  TransactWriteItemsCommand: "TransactWriteItems",
  TransactGetCommand: "TransactGetItems",
  TransactGetItemsCommand: "TransactGetItems",
};

/** Every key builder of table.ts, called with zeros: the partition kind its pk falls in. */
const builderKinds = new Map<string, PartitionKind[]>(
  Object.entries(keys).map(([name, build]) => [
    name,
    kindsMatching((build as unknown as (...args: number[]) => { pk: string })(0, 0, 0).pk),
  ]),
);

/** What one source file sends and builds: DynamoDB actions and partition kinds (from keys.* and pk literals). */
function scan(file: string): { actions: Set<string>; kinds: Set<PartitionKind>; unknownPks: string[] } {
  const text = source(file);
  const actions = new Set<string>();
  for (const [, name] of text.matchAll(/new (\w+Command)\(/g)) {
    const action = COMMAND_ACTIONS[name!];
    if (action) actions.add(action);
  }
  const kinds = new Set<PartitionKind>();
  const unknownPks: string[] = [];
  for (const [, builder] of text.matchAll(/\bkeys\.(\w+)\(/g)) {
    for (const kind of builderKinds.get(builder!) ?? []) kinds.add(kind);
  }
  // Literal partition keys: `pk: \`ORDER#${id}\``, `":pk": \`...\``, `pk: { S: \`QUARANTINE#${day}\` }`.
  for (const [, literal] of text.matchAll(/(?:\bpk|":pk")\s*:\s*(?:\{\s*S:\s*)?[`"]([^`"$]*)/g)) {
    const found = kindsMatching(`${literal}x`).concat(kindsMatching(literal!));
    if (found.length === 0) unknownPks.push(literal!);
    for (const kind of found) kinds.add(kind);
  }
  return { actions, kinds, unknownPks };
}

/** Relative and `#alias/` imports of a file, resolved to files under functions/. */
function importsOf(file: string): string[] {
  const out: string[] = [];
  for (const [, spec] of source(file).matchAll(/(?:from|import\()\s*["']([^"']+)["']/g)) {
    const alias = /^#(adapters|core|pincode)\/(.+)$/.exec(spec!);
    if (alias) out.push(join(FUNCTIONS, alias[1]!, alias[2]!));
    else if (spec!.startsWith(".")) out.push(resolve(dirname(file), spec!));
  }
  return out.filter((f) => f.startsWith(FUNCTIONS));
}

const sendsToTable = (name: string) => scan(join(ADAPTERS, `${name}.ts`)).actions.size > 0;
const adapterName = (file: string) => relative(ADAPTERS, file).replace(/\.ts$/, "");
const isAdapter = (file: string) => dirname(file) === ADAPTERS;
const hasAccess = (name: string): name is TableAdapter => name in ADAPTER_TABLE_ACCESS;

/** Adapters a function's code reaches from its handler: imported by its own (non-adapter) files. */
function adaptersReachedBy(fn: string): Set<string> {
  const seen = new Set<string>();
  const reached = new Set<string>();
  const queue = [join(FUNCTIONS, fn, "handler.ts")];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (isAdapter(file)) {
      reached.add(adapterName(file));
      continue; // what an adapter does through another adapter is its own declared access
    }
    queue.push(...importsOf(file));
  }
  // A helper reached directly by a function would send calls no declared access covers.
  for (const name of reached) expect(hasAccess(name) || !sendsToTable(name), `${fn} uses ${name} directly`).toBe(true);
  return new Set([...reached].filter(hasAccess));
}

const adapterFiles = readdirSync(ADAPTERS)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => join(ADAPTERS, f));
/** An adapter's helpers: adapter files it imports that have no access entry of their own (the DynamoDB batcher). */
const KEY_LAYOUT = new Set(["table", "table-access"]);
const helpersOf = (file: string) =>
  importsOf(file).filter((f) => isAdapter(f) && !hasAccess(adapterName(f)) && !KEY_LAYOUT.has(adapterName(f)));

describe("table access: declared from the code, for IAM", () => {
  it("gives every item kind's key builder exactly one partition pattern", () => {
    for (const [name, kinds] of builderKinds) expect(kinds, `keys.${name}`).toHaveLength(1);
    expect(kindsMatching(keys.quarantine(Date.UTC(2025, 0, 2), "abc").pk)).toEqual(["quarantine"]);
    expect(kindsMatching(unknownCallbackKey(Date.UTC(2025, 0, 2), "abc").pk)).toEqual(["unknownCallback"]);
    // Exact partitions stay exact: the store directory pattern must not cover STORE#<id>, nor the reverse.
    expect(kindsMatching(keys.storeConfig("S01").pk)).toEqual(["store"]);
    expect(kindsMatching(keys.storeDirectory("S01").pk)).toEqual(["storeDirectory"]);
    expect(kindsMatching(keys.pendingSubmission(5, "x").pk)).toEqual(["pendingSubmissions"]);
  });

  it("declares every adapter that talks to the table, with every command it sends and partition it builds", () => {
    const talking: string[] = [];
    for (const file of adapterFiles) {
      const name = adapterName(file);
      if (KEY_LAYOUT.has(name)) continue;
      const found = [file, ...helpersOf(file)].map(scan);
      const actions = new Set(found.flatMap((f) => [...f.actions]));
      const kinds = new Set(found.flatMap((f) => [...f.kinds]));
      expect(
        found.flatMap((f) => f.unknownPks),
        `${name}: pk literal of no known kind`,
      ).toEqual([]);
      if (actions.size === 0 && kinds.size === 0) {
        expect(hasAccess(name), `${name} declares table access it never uses`).toBe(false);
        continue;
      }
      if (kinds.size === 0 && !hasAccess(name)) {
        // A helper that builds no key (the batcher): covered through the adapters that import it, and only them.
        const importers = adapterFiles.filter((f) => helpersOf(f).includes(file)).map(adapterName);
        expect(importers.length, `${name} is used by no declared adapter`).toBeGreaterThan(0);
        for (const importer of importers) expect(hasAccess(importer), `${importer} uses ${name}`).toBe(true);
        continue;
      }
      talking.push(name);
      expect(hasAccess(name), `${name} talks to the table: add it to ADAPTER_TABLE_ACCESS`).toBe(true);
      const declared = ADAPTER_TABLE_ACCESS[name as TableAdapter];
      const declaredActions = new Set(declared.flatMap((a) => a.actions));
      const declaredKinds = new Set(declared.flatMap((a) => a.partitions));
      for (const action of actions) expect(declaredActions, `${name} sends ${action}`).toContain(action);
      for (const kind of kinds) expect(declaredKinds, `${name} builds ${kind} keys`).toContain(kind);

      // Nothing declared that neither the adapter nor an adapter it reads through sends (no stale grants).
      const through = importsOf(file)
        .filter((f) => isAdapter(f) && hasAccess(adapterName(f)))
        .flatMap((f) => [f, ...helpersOf(f)].map(scan));
      const reachable = new Set([...actions, ...through.flatMap((f) => [...f.actions])]);
      const reachableKinds = new Set([...kinds, ...through.flatMap((f) => [...f.kinds])]);
      for (const action of declaredActions) expect(reachable, `${name} declares ${action}`).toContain(action);
      for (const kind of declaredKinds) expect(reachableKinds, `${name} declares ${kind}`).toContain(kind);
    }
    expect(talking.sort()).toEqual(Object.keys(ADAPTER_TABLE_ACCESS).sort());
  });

  it("lists every function, each with exactly the adapters its code reaches", () => {
    const functions = readdirSync(FUNCTIONS, { withFileTypes: true })
      .filter((d) => d.isDirectory() && readdirSync(join(FUNCTIONS, d.name)).includes("handler.ts"))
      .map((d) => d.name)
      .sort();
    expect(Object.keys(FUNCTION_TABLE_USE).sort()).toEqual(functions);
    for (const fn of functions) {
      const use = FUNCTION_TABLE_USE[fn as keyof typeof FUNCTION_TABLE_USE];
      expect([...adaptersReachedBy(fn)].sort(), fn).toEqual([...use.adapters].sort());
    }
  });

  it("narrows an adapter only to methods the function calls, within the adapter's own access", () => {
    const filesUnder = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? filesUnder(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : [],
      );
    let checked = 0;
    for (const [fn, use] of Object.entries(FUNCTION_TABLE_USE) as [string, FunctionTableUse][]) {
      for (const [adapter, narrowName] of Object.entries(use.narrowed ?? {})) {
        const narrow: NarrowTableAccess = NARROW_TABLE_ACCESS[narrowName as keyof typeof NARROW_TABLE_ACCESS];
        expect(narrow.adapter, `${fn}: ${narrowName}`).toBe(adapter);
        const whole = ADAPTER_TABLE_ACCESS[narrow.adapter];
        for (const access of narrow.access) {
          for (const action of access.actions) {
            for (const kind of access.partitions) {
              expect(
                whole.some((w) => w.actions.includes(action as never) && w.partitions.includes(kind as never)),
                `${narrowName}: ${action} on ${kind}`,
              ).toBe(true);
            }
          }
        }
        // The function's own code calls only the narrowed methods through that deps field.
        const text = filesUnder(join(FUNCTIONS, fn)).map(source).join("\n");
        const calls = new Set([...text.matchAll(new RegExp(`\\b${narrow.via}\\.(\\w+)\\(`, "g"))].map((m) => m[1]));
        expect(calls.size, `${fn} calls ${narrow.via}.*`).toBeGreaterThan(0);
        for (const method of calls) expect(narrow.methods, `${fn} calls ${narrow.via}.${method}`).toContain(method);
        checked++;
      }
    }
    expect(checked).toBe(3);
    const sync = NARROW_TABLE_ACCESS.orderSyncState.access[0];
    expect(sync.attributes).toEqual(["pk", "sk", ...SYNC_STATE_ATTRIBUTES]);
    for (const attribute of SYNC_STATE_ATTRIBUTES) expect(attribute).not.toMatch(/buyer|name|phone|email|address/i);
  });

  it("grants the poller no write on orders but a command pointer's attributes, and no read of a whole order", () => {
    const grants = tableGrantsOf(FUNCTION_TABLE_USE.poller);
    const onOrders = grants.filter((g) => g.partitions.includes(PARTITIONS.order));
    expect(onOrders).toEqual([
      { actions: ["BatchGetItem"], partitions: [PARTITIONS.order], attributes: ["pk", "sk", ...SYNC_STATE_ATTRIBUTES] },
      // The sweep of stranded commands re-links an order command (ORDER#<id> / COMMAND#<t>#<id>), nothing else.
      {
        actions: ["PutItem"],
        partitions: [PARTITIONS.order],
        attributes: ["pk", "sk", "kind", "commandId", "createdAt", "expiresAt"],
      },
    ]);
    for (const attribute of ["order", "buyer", "storeId", "version", "status"]) {
      expect(onOrders[1]?.attributes).not.toContain(attribute);
    }
    expect(grants.flatMap((g) => g.partitions)).not.toContain(PARTITIONS.orderPublished);
  });

  it("keeps each access entry's partitions in one grant, so a request spanning them is allowed by one statement", () => {
    for (const [fn, use] of Object.entries(FUNCTION_TABLE_USE) as [string, FunctionTableUse][]) {
      const grants = tableGrantsOf(use);
      const entries = use.adapters.flatMap((adapter): readonly TableAccess[] => {
        const narrow = use.narrowed?.[adapter];
        return narrow ? NARROW_TABLE_ACCESS[narrow].access : ADAPTER_TABLE_ACCESS[adapter];
      });
      for (const entry of entries) {
        const patterns = entry.partitions.map((kind) => PARTITIONS[kind]);
        const covering = grants.find(
          (g) =>
            patterns.every((p) => g.partitions.includes(p)) &&
            entry.actions.every((a) => g.actions.includes(a)) &&
            JSON.stringify(g.attributes ?? null) === JSON.stringify(entry.attributes ?? null),
        );
        expect(covering, `${fn}: ${entry.actions.join(",")} on ${patterns.join(",")}`).toBeDefined();
      }
    }
    // The case that needs it: the commands function reads an order view and its outbox marker in one BatchGetItem.
    const batchGets = tableGrantsOf(FUNCTION_TABLE_USE.commands).filter((g) => g.actions.includes("BatchGetItem"));
    expect(
      batchGets.some(
        (g) => g.partitions.includes(PARTITIONS.order) && g.partitions.includes(PARTITIONS.orderPublished),
      ),
    ).toBe(true);
  });

  it("gives each partition exactly the union of its adapters' actions", () => {
    const grants = tableGrantsOf(FUNCTION_TABLE_USE.commands);
    const byPartition = new Map<string, string[]>();
    for (const g of grants)
      for (const p of g.partitions) byPartition.set(p, [...(byPartition.get(p) ?? []), ...g.actions]);
    expect([...new Set(byPartition.get(PARTITIONS.order))].sort()).toEqual([
      "BatchGetItem",
      "BatchWriteItem",
      "PutItem",
      "Query",
      "UpdateItem",
    ]);
    // GetItem on commands only: orders are read in batches (view + outbox marker). Commands: an order's earlier
    // commands read in one batch, the command outbox markers batched (issue 11).
    expect([...new Set(byPartition.get(PARTITIONS.command))].sort()).toEqual([
      "BatchGetItem",
      "BatchWriteItem",
      "GetItem",
      "PutItem",
      "UpdateItem",
    ]);
    expect([...new Set(byPartition.get(PARTITIONS.rateBudget))].sort()).toEqual(["GetItem", "UpdateItem"]);
    expect(byPartition.has(PARTITIONS.quarantine)).toBe(false);
  });
});
