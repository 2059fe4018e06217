import * as assert from "assert";
import { classifyServerLine, ServerStderr } from "../src/serverLog";

suite("server stderr lines", () => {
  test("Python logging records keep their level, without the timestamp", () => {
    assert.deepStrictEqual(classifyServerLine("2026-11-28 04:28:31,123 INFO lime_task_lint: started", undefined), {
      level: "info",
      text: "lime_task_lint: started",
    });
    assert.strictEqual(classifyServerLine("2026-11-28 04:28:31,123 WARNING x: y", "info").level, "warn");
    assert.strictEqual(classifyServerLine("2026-11-28 04:28:31,123 DEBUG x: y", "info").level, "debug");
    assert.strictEqual(classifyServerLine("2026-11-28 04:28:31,123 CRITICAL x: y", "info").level, "error");
  });

  test("continuation lines keep the level of their record", () => {
    assert.deepStrictEqual(classifyServerLine("  'select': ['LIME']}", "info"), { level: "info", text: "  'select': ['LIME']}" });
  });

  test("a traceback or anything before the first record is an error", () => {
    assert.strictEqual(classifyServerLine("Traceback (most recent call last):", "info").level, "error");
    assert.strictEqual(classifyServerLine("ModuleNotFoundError: No module named 'pygls'", undefined).level, "error");
  });
});

suite("server stderr while the client runs", () => {
  const record = (level: string, text: string) => `2026-11-28 04:28:31,123 ${level} ${text}`;

  test("before the session, every record is written (no window/logMessage yet)", () => {
    const stderr = new ServerStderr();
    assert.deepStrictEqual(stderr.route(record("INFO", "lime_task_lint: started"), false), { level: "info", text: "lime_task_lint: started" });
  });

  test("while running, the server's own records and their continuation lines are dropped", () => {
    const stderr = new ServerStderr();
    assert.strictEqual(stderr.route(record("INFO", "lime_task_lint: editor settings: {"), true), undefined);
    assert.strictEqual(stderr.route("  'select': ['LIME']}", true), undefined);
    assert.strictEqual(stderr.route(record("DEBUG", "lime_task_lint.server: analysed x"), true), undefined);
  });

  test("while running, other loggers' records and tracebacks are kept", () => {
    const stderr = new ServerStderr();
    assert.strictEqual(stderr.route(record("INFO", "lime_task_lint: x"), true), undefined);
    assert.deepStrictEqual(stderr.route("Traceback (most recent call last):", true), { level: "error", text: "Traceback (most recent call last):" });
    assert.ok(stderr.route('  File "x.py", line 1', true));
    assert.deepStrictEqual(stderr.route(record("WARNING", "pygls.protocol: bad"), true), { level: "warn", text: "pygls.protocol: bad" });
    assert.ok(stderr.route("  continued", true), "a kept record's continuation is kept");
  });

  test("a logger whose name only starts like ours is not ours", () => {
    const stderr = new ServerStderr();
    assert.ok(stderr.route(record("INFO", "lime_task_lint_extra: x"), true));
  });
});
