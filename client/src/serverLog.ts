// The server logs to stderr with Python's logging ("<time> LEVEL name: message").
// vscode-languageclient would write every stderr line as an error; here each line
// keeps its level (and drops the duplicate timestamp), so the Lime Task Lint
// output channel's level filter works. Pure, so it is unit-tested.

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

const PY_RECORD = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?\s+(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\s+(.*)$/;
const LEVELS: Record<string, LogLevel> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warn",
  WARN: "warn",
  ERROR: "error",
  CRITICAL: "error",
  FATAL: "error",
};

/**
 * Level and text of one stderr line. A line that starts no record (a traceback, a
 * message on several lines) keeps the level of the record before it; a bare
 * "Traceback" or anything before the first record is an error.
 */
export function classifyServerLine(line: string, previous: LogLevel | undefined): { level: LogLevel; text: string } {
  const m = PY_RECORD.exec(line);
  if (m) {
    return { level: LEVELS[m[1]], text: m[2] };
  }
  if (line.startsWith("Traceback (most recent call last)")) {
    return { level: "error", text: line };
  }
  return { level: previous ?? "error", text: line };
}
