#!/usr/bin/env node
/**
 * The `pincode-bridge` command (package.json "bin"). It runs the TypeScript sources in bin/cli through tsx's ESM
 * loader, registered here in-process: no build step to forget, the very code the tests run, and it works in a fresh
 * clone after `npm ci` (tsx is a devDependency, and this CLI is an operator tool run from a checkout).
 */
import { register } from "tsx/esm/api";

register();
await import("./cli/main.ts");
