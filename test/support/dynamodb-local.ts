/**
 * DynamoDB Local, AWS's own DynamoDB emulator (a Java jar), for the suite that runs the properties once more against
 * it (`npm run test:dynamodb-local`). The jar ships inside the npm package `amplify-dynamodb-simulator`; its 283
 * dependencies are not needed, so the package is fetched with `npm pack` (from the npm registry, once) and only its
 * `emulator/` folder is kept, under `node_modules/.cache/dynamodb-local/<version>`. `DYNAMODB_LOCAL_DIR` names a
 * folder holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/` instead. Needs Java 17+ on the PATH (or `JAVA_HOME`).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { createDynamoClient } from "../../functions/adapters/aws-clients.ts";

const run = promisify(execFile);
/** The simulator release whose jar we run; pinned so the emulator under test does not change under us. */
export const SIMULATOR_PACKAGE = "amplify-dynamodb-simulator@2.9.30";

const cacheRoot = resolve(import.meta.dirname, "../../node_modules/.cache/dynamodb-local");

/** The folder holding DynamoDBLocal.jar, fetching the package on first use. */
export async function dynamoDbLocalDir(): Promise<string> {
  const configured = process.env.DYNAMODB_LOCAL_DIR;
  if (configured) {
    if (!existsSync(join(configured, "DynamoDBLocal.jar"))) {
      throw new Error(`DYNAMODB_LOCAL_DIR=${configured} holds no DynamoDBLocal.jar`);
    }
    return configured;
  }
  const dir = join(cacheRoot, SIMULATOR_PACKAGE.split("@")[1]!);
  if (existsSync(join(dir, "DynamoDBLocal.jar"))) return dir;
  await mkdir(cacheRoot, { recursive: true });
  const work = await mkdtemp(join(cacheRoot, "fetch-"));
  try {
    const { stdout } = await run("npm", ["pack", SIMULATOR_PACKAGE, "--silent", "--pack-destination", work], {
      cwd: work,
      maxBuffer: 1 << 20,
    });
    const tarball = join(work, stdout.trim().split("\n").pop()!);
    await run("tar", ["-xzf", tarball, "-C", work, "package/emulator"]);
    await rm(dir, { recursive: true, force: true });
    await rename(join(work, "package/emulator"), dir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface DynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local in memory on a free port and waits until it answers ListTables. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const dir = await dynamoDbLocalDir();
  const port = await freePort();
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java";
  // -sharedDb: one database whatever the access key and region, so every client sees the same tables.
  const child: ChildProcess = spawn(
    java,
    [
      `-Djava.library.path=${join(dir, "DynamoDBLocal_lib")}`,
      "-jar",
      join(dir, "DynamoDBLocal.jar"),
      "-inMemory",
      "-sharedDb",
      "-port",
      String(port),
    ],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr = (stderr + String(chunk)).slice(-4000);
  });
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createDynamoClient({ endpoint });
  const stop = async () => {
    client.destroy();
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with ${child.exitCode}: ${stderr.trim()}`);
    try {
      await client.send(new ListTablesCommand({}));
      return { endpoint, stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s: ${stderr.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
