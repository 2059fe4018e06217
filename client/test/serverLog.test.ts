import * as assert from "assert";
import { classifyServerLine } from "../src/serverLog";

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
