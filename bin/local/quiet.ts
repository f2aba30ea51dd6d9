/**
 * Imported first by bin/local.ts (ESM evaluates imports in order): the AWS SDK warns, on every client module load,
 * that Node 20 support ends in 2027. Local mode says that once in the README instead of on every start.
 */
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (!`${warning.name} ${warning.message}`.includes("NodeVersionSupportWarning"))
    console.warn(`${warning.name}: ${warning.message}`);
});
