/**
 * The console in a real browser (Debian's Chromium driven by playwright-core, no browser download) against local
 * mode as `npm start` runs it (a child process, DEMO=0, free ports). Each click is checked against the sandbox's own
 * truth (admin API), not against what the page says.
 *
 * Without Chromium the suite is skipped with one line saying how to enable it. Screenshots go to a temp folder, or
 * to CONSOLE_SCREENSHOT_DIR (`npm run screenshots` writes docs/console/).
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnLocal } from "../support/local-process.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.log(
    `browser tests skipped: no Chromium at ${CHROMIUM}; install it (apt-get install -y chromium) or set CHROMIUM_PATH`,
  );
}

const KEY = "console-browser-test-key-0001";
const ROOT = join(import.meta.dirname, "..", "..");
const SHOTS = process.env.CONSOLE_SCREENSHOT_DIR
  ? resolve(ROOT, process.env.CONSOLE_SCREENSHOT_DIR)
  : mkdtempSync(join(tmpdir(), "console-shots-"));
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

let child: ChildProcess | undefined;
let output = "";
let dataDir = "";
let profileDir = "";
let consoleUrl = "";
let sandboxUrl = "";
let context: BrowserContext | undefined;
let page: Page;

// biome-ignore lint/suspicious/noExplicitAny: the sandbox's order view is read freely
type Json = Record<string, any>;

async function sandbox(method: string, path: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${sandboxUrl}/_sandbox${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
  });
  const json = (await response.json()) as Json;
  if (!response.ok) throw new Error(`sandbox ${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}
const truth = (orderId: string) => sandbox("GET", `/orders/${orderId}`);
const leg = (order: Json, type: string) => order.fulfillments.find((f: Json) => f.type === type);

async function shot(name: string, size: { width: number; height: number }): Promise<void> {
  await page.setViewportSize(size);
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(SHOTS, `${name}-${size === PHONE ? "phone" : "desktop"}.png`) });
}

/** playwright-core has no `expect`: wait until a check passes (or fail with what was last seen). */
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}
const until_ = until;
const visible = (locator: Locator, timeout = 20_000) => locator.waitFor({ state: "visible", timeout });
const text = (locator: Locator) => locator.textContent().then((t) => t ?? "");

/** Clicks an action button and waits for the command's outcome line to settle. */
async function act(name: string | RegExp): Promise<string> {
  await page.getByRole("button", { name, exact: typeof name === "string" }).click();
  const outcome = page.locator("#action-outcome");
  await until(
    () => outcome.getAttribute("data-tone"),
    (tone) => tone !== null && tone !== "pending",
    40_000,
  );
  return text(outcome);
}

describe.skipIf(!HAVE_CHROMIUM)("console in Chromium against local mode", () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "console-local-"));
    profileDir = mkdtempSync(join(tmpdir(), "console-chromium-"));
    mkdirSync(SHOTS, { recursive: true });
    child = spawnLocal(dataDir, { SELLER_API_KEY: KEY, STORE_IDS: "S01,S02", LOG_LEVEL: "ERROR" });
    child.stdout?.on("data", (d) => {
      output += String(d);
    });
    child.stderr?.on("data", (d) => {
      output += String(d);
    });
    // Chromium starts while local mode does (each takes seconds).
    const launching = chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: DESKTOP,
    });
    // Generous: a loaded CI machine starts local mode slowly; a healthy one takes about 10 s.
    const deadline = Date.now() + 60_000;
    while (!output.includes("ready.")) {
      if (child.exitCode !== null) throw new Error(`local mode exited ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`local mode did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    consoleUrl = /^console: (http:\/\/\S+)/.exec(output)?.[1] ?? "";
    sandboxUrl = /Pincode sandbox\s+(http:\/\/[\d.:]+)/.exec(output)?.[1] ?? "";
    context = await launching;
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (error) => {
      output += `\npage error: ${error.message}`;
    });
    // The page asks for the seller API key once; it stays in this tab's sessionStorage, never in the URL.
    await page.goto(consoleUrl);
    await page.getByRole("textbox", { name: "Key" }).fill(KEY);
    await page.getByRole("button", { name: "Use this key" }).click();
    if (page.url().includes(KEY)) throw new Error("the key reached the URL");
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      child.kill("SIGINT");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
  });

  it("prints the console link first, and serves the page with a strict CSP and no key in it", async () => {
    expect(output.split("\n")[0]).toMatch(/^console: http:\/\/127\.0\.0\.1:\d+\/console /);
    const response = await fetch(consoleUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(await response.text()).not.toContain(KEY);
    // The seller API behind it still needs the key.
    expect((await fetch(consoleUrl.replace("/console", "/v1/orders"))).status).toBe(401);
  });

  it("walks a new order through accept, pack, ship, deliver and complete, each click reaching the sandbox", async () => {
    // Two earlier orders, one already accepted, so the list has more than one state to show.
    const earlier = await sandbox("POST", "/orders", { storeId: "S02" });
    await sandbox("POST", "/orders", { storeId: "S01" });
    await visible(page.locator(`tr[data-order-id="${earlier.id}"]`), 30_000);
    await page.goto(`${consoleUrl}#/orders/${earlier.id}`);
    expect(await act("Accept")).toBe("Done: Pincode accepted it.");
    await page.goto(`${consoleUrl}#/orders`);

    // Appear: a new order shows up without a reload, and rings (title badge) until opened.
    const created = await sandbox("POST", "/orders", {
      storeId: "S01",
      items: [
        { serviceProviderItemId: "GRO-ATTA-5KG", quantity: 2 },
        { serviceProviderItemId: "PHA-PCM-500-15", quantity: 3 },
      ],
    });
    const id = created.id as string;
    const row = page.locator(`tr[data-order-id="${id}"]`);
    await visible(row, 30_000);
    expect(await row.getAttribute("class")).toContain("new");
    expect(await text(row)).toContain("Accept");
    await until(
      () => text(row.locator("td").last()),
      (t) => /min left/.test(t),
    );
    // Two new orders wait (this one and the other S01 order): the tab title counts them.
    await until(
      () => page.title(),
      (t) => t.startsWith("(2) New orders"),
    );
    await shot("orders", DESKTOP);
    await shot("orders", PHONE);
    await page.setViewportSize(DESKTOP);

    await row.getByRole("link", { name: id }).click();
    expect(await text(page.getByRole("heading", { level: 1 }))).toBe(`Order ${id}`);
    // Opened: this one stops ringing; the other new order still rings.
    await until(
      () => page.title(),
      (t) => t.startsWith("(1) New order "),
    );

    expect(await act("Accept")).toBe("Done: Pincode accepted it.");
    expect((await truth(id)).orderState).toBe("ACCEPTED");

    await until(
      () => text(page.getByTestId("order-state")),
      (t) => t === "ACCEPTED",
    );
    expect(await act("Mark packed")).toBe("Done: Pincode accepted it.");
    expect(leg(await truth(id), "STORE").fulfillmentState).toBe("PACKED");

    await visible(page.getByRole("button", { name: "Ship (out for delivery)" }), 30_000);
    await shot("order-detail", DESKTOP);
    await shot("order-detail", PHONE);
    await page.setViewportSize(DESKTOP);
    expect(await act("Ship (out for delivery)")).toBe("Done: Pincode accepted it.");
    expect(leg(await truth(id), "DELIVERY").fulfillmentState).toBe("OUT_FOR_DELIVERY");

    await visible(page.getByRole("button", { name: "Mark delivered" }), 30_000);
    expect(await act("Mark delivered")).toBe("Done: Pincode accepted it.");
    expect(leg(await truth(id), "DELIVERY").fulfillmentState).toBe("DELIVERED");

    await visible(page.getByRole("button", { name: "Complete" }), 30_000);
    expect(await act("Complete")).toBe("Done: Pincode accepted it.");
    expect((await truth(id)).orderState).toBe("COMPLETED");
    await visible(page.getByText("Nothing more to do: the order is completed."), 30_000);
    // The timeline shows our commands with their outcome and the snapshots with their source.
    const timeline = await text(page.locator(".timeline"));
    expect(timeline).toContain("Snapshot via callback from Pincode");
    expect(timeline).toContain("SUCCEEDED");
  }, 120_000);

  it("cancels an order with a reason picked from Pincode's list", async () => {
    const id = (await sandbox("POST", "/orders", { storeId: "S02" })).id as string;
    await page.goto(`${consoleUrl}#/orders`);
    await page.getByRole("searchbox", { name: "Order id" }).fill(id);
    await visible(page.locator(`tr[data-order-id="${id}"]`), 30_000);
    await page.getByRole("button", { name: "Open" }).click();
    await until(
      () => text(page.getByRole("heading", { level: 1 })),
      (t) => t === `Order ${id}`,
    );

    // Without a reason the form does not submit (the picker is required) and nothing reaches Pincode.
    await page.getByRole("button", { name: "Cancel order" }).click();
    expect(await page.locator('select[name="cancel-reason"]:invalid').count()).toBe(1);
    expect(await page.locator("#action-outcome").getAttribute("data-tone")).toBeNull();
    expect((await truth(id)).orderState).toBe("CREATED");

    await page.getByRole("combobox", { name: "Cancel reason" }).selectOption({ label: "Item unavailable" });
    expect(await act("Cancel order")).toBe("Done: Pincode accepted it.");
    const order = await truth(id);
    expect(order.orderState).toBe("CANCELLED");
    expect(order.actions).toContainEqual(expect.objectContaining({ type: "CANCEL_ORDER", reason: "ITEM_UNAVAILABLE" }));
  }, 60_000);

  it("shows Pincode's refusal in words when the bridge's view is behind Pincode", async () => {
    const id = (await sandbox("POST", "/orders", { storeId: "S01" })).id as string;
    await page.goto(`${consoleUrl}#/orders/${id}`);
    expect(await act("Accept")).toBe("Done: Pincode accepted it.");
    await visible(page.getByRole("button", { name: "Mark packed" }), 30_000);
    expect(await act("Mark packed")).toBe("Done: Pincode accepted it.");
    await visible(page.getByRole("button", { name: "Ship (out for delivery)" }), 30_000);
    // Logistics takes the parcel out and delivers it while every callback is lost: the console still offers Ship.
    await sandbox("PUT", "/faults", { callbackDropRate: 1 });
    for (let i = 0; i < 3; i++) await sandbox("POST", `/orders/${id}/advance`);
    expect(leg(await truth(id), "DELIVERY").fulfillmentState).toBe("DELIVERED");

    const outcome = await act("Ship (out for delivery)");
    expect(outcome).toMatch(
      /^Pincode refused \(ACTION_NOT_ALLOWED\): this step is not allowed in the order's current state/,
    );
    expect(leg(await truth(id), "DELIVERY").fulfillmentState).toBe("DELIVERED");
    await sandbox("PUT", "/faults", {});
  }, 60_000);

  it("closes a store until a time and opens it again, as Pincode's store acceptance shows", async () => {
    await page.goto(`${consoleUrl}#/stores`);
    const card = page.locator("article", { has: page.getByRole("heading", { name: /^S02/ }) });
    await visible(card);
    const until = new Date(Date.now() + 2 * 3_600_000);
    const pad = (n: number) => String(n).padStart(2, "0");
    const local = `${until.getFullYear()}-${pad(until.getMonth() + 1)}-${pad(until.getDate())}T${pad(until.getHours())}:${pad(until.getMinutes())}`;
    await card.getByLabel("Closed until (optional)").fill(local);
    await card.getByRole("button", { name: "Close store" }).click();
    const status = card.locator(".outcome");
    await until_(
      () => text(status),
      (t) => t.startsWith("Done") || t.startsWith("Pincode refused"),
      20_000,
    );
    expect(await text(status)).toBe("Done: the store is closed.");
    const closed = (await sandbox("GET", "/catalog")).stores.S02;
    expect(closed.status).toBe("DISABLED");
    expect(Math.abs(closed.validTill - new Date(local).getTime())).toBeLessThan(60_000);

    const reopened = page.locator("article", { has: page.getByRole("heading", { name: /^S02/ }) });
    await until_(
      () => text(reopened),
      (t) => t.includes("Closed until"),
    );
    await reopened.getByRole("button", { name: "Open store" }).click();
    await until_(
      () => text(reopened.locator(".outcome")),
      (t) => t.startsWith("Done"),
      20_000,
    );
    expect((await sandbox("GET", "/catalog")).stores.S02.status).toBe("ENABLED");
  }, 90_000);

  it("uploads a CSV of listings with a progress bar and shows each row's outcome from Pincode", async () => {
    const file = join(dataDir, "listings.csv");
    writeFileSync(
      file,
      [
        "type,storeId,sku,psin,mrp,sellingPrice,count,status",
        "CREATE,S01,CONSOLE-ATTA-1,U0000000000000000000001,300,280,10,ACTIVE",
        "CREATE,S01,CONSOLE-BAD-2,NOT-A-PSIN,100,90,5,ACTIVE",
      ].join("\n"),
    );
    await page.goto(`${consoleUrl}#/catalog`);
    await page.getByLabel("Listings file").setInputFiles(file);
    await until_(
      () => text(page.getByRole("status")),
      (t) => t.startsWith("2 listings read"),
    );
    await page.getByRole("button", { name: "Upload" }).click();
    await until_(
      () => text(page.getByRole("status")),
      (t) => t.startsWith("Done:"),
      30_000,
    );
    expect(await text(page.getByRole("status"))).toBe("Done: 1 accepted, 1 refused.");
    const progress = page.locator("progress");
    expect(await progress.getAttribute("value")).toBe(await progress.getAttribute("max"));
    const rows = await page.locator("table.results tbody tr").allTextContents();
    expect(rows[0]).toBe("line 2accepted");
    expect(rows[1]).toMatch(/^line 3refused: 90101/);
    const listings = JSON.stringify((await sandbox("GET", "/catalog")).listings);
    expect(listings).toContain("CONSOLE-ATTA-1");
    expect(listings).not.toContain("CONSOLE-BAD-2");
  }, 90_000);

  it("shows operations: queue depths, DLQs, quarantine and orders per minute by arrival", async () => {
    await page.setViewportSize(DESKTOP);
    await page.goto(`${consoleUrl}#/operations`);
    await visible(page.getByRole("heading", { name: "Dead-letter queues" }));
    const dlqs = page.locator("section", { has: page.getByRole("heading", { name: "Dead-letter queues" }) });
    await visible(dlqs.getByRole("row", { name: /events/ }), 30_000);
    await visible(page.getByText(/Callback: [1-9]\d*/), 30_000);
    await visible(page.getByText("Nothing quarantined."));
    await shot("operations", DESKTOP);
    await shot("operations", PHONE);
    expect(output).not.toContain("page error");
  }, 60_000);
});
