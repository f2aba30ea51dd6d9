#!/usr/bin/env node
import { buildApp } from "../lib/app/build-app.ts";

buildApp();
