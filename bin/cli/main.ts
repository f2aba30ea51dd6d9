/** Entry point of `pincode-bridge` (bin/pincode-bridge.mjs loads it through tsx). */
import { existsSync } from "node:fs";
import { defaultContext } from "./context.ts";
import { processIo } from "./output.ts";
import { run } from "./program.ts";

// Like `npm start`, a .env in the working directory fills in what the environment does not set (SELLER_API_KEY...).
if (existsSync(".env")) process.loadEnvFile(".env");

process.exitCode = await run(process.argv.slice(2), defaultContext(processIo));
