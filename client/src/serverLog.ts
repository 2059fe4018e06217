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

/** The server's own logger: its records also arrive as window/logMessage once the session is up. */
const OWN_LOGGER = /^lime_task_lint(\.[\w.]+)?: /;

/**
 * Routes the server's stderr lines to the output channel. While the language
 * client runs, the server's own records (`lime_task_lint…: …`, and the lines that
 * continue them) are dropped here because they also come through
 * `window/logMessage`, at the server's logLevel; everything else (pygls's
 * warnings, start-up failures before the session, a crash's traceback) is kept.
 */
export class ServerStderr {
  private level: LogLevel | undefined;
  private droppingRecord = false;

  /** The line to write, or undefined when it is already logged through the protocol. */
  route(line: string, clientRunning: boolean): { level: LogLevel; text: string } | undefined {
    const record = classifyServerLine(line, this.level);
    this.level = record.level;
    const startsRecord = PY_RECORD.test(line);
    const startsTraceback = line.startsWith("Traceback (most recent call last)");
    if (startsRecord) {
      this.droppingRecord = clientRunning && OWN_LOGGER.test(record.text);
    } else if (startsTraceback) {
      // Kept even when it belongs to a dropped record: better twice than a crash lost.
      this.droppingRecord = false;
    }
    return this.droppingRecord ? undefined : record;
  }
}
