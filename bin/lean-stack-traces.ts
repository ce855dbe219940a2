/**
 * Skips the stack traces cdktf records for debugging, which were the largest single cost of
 * synthesis (docs/performance.md).
 *
 * cdktf captures and formats a full stack trace for every token it creates (each attribute
 * reference, nested block and function call), to print where a token was made should it later
 * fail to resolve. It captures them on plain objects (`{ stack: "" }`); errors are `Error`
 * instances. So a plain object gets an empty trace, which cdktf reads as "no trace", and every
 * real error keeps V8's format.
 */

/** `Error.prepareStackTrace` that formats errors as V8 does and other objects as nothing. */
export function formatStackTrace(error: unknown, frames: readonly NodeJS.CallSite[]): string {
  if (!(error instanceof Error)) return "";
  return [String(error), ...frames.map((frame) => `    at ${frame}`)].join("\n");
}

/**
 * Installs `formatStackTrace` for this process. For an entry point only (the app, benchmarks),
 * never for a library. Not when source maps are on (`node --enable-source-maps`, the debugging
 * path): Node maps frames only through its own formatter, and a debugging session wants cdktf's
 * creation traces too.
 */
export function useLeanStackTraces(): void {
  if (process.sourceMapsEnabled) return;
  Error.prepareStackTrace = formatStackTrace;
}
