import * as assert from "assert";
import { budgetReportHtml, missingCommandMessage, SERVER_COMMANDS, serverCommands } from "../src/serverCommands";

suite("server commands", () => {
  const init = (commands?: string[]) => ({
    capabilities: commands ? { executeCommandProvider: { commands } } : {},
    serverInfo: { name: "Lime Task Lint", version: "0.1.0" },
  });

  test("a command the server announces runs", () => {
    assert.strictEqual(missingCommandMessage(SERVER_COMMANDS.fixAll, init(["lime-task-lint.fixAll"])), undefined);
  });

  test("a command the server lacks gets a clear message", () => {
    const msg = missingCommandMessage(SERVER_COMMANDS.budgetReport, init(["lime-task-lint.fixAll"]));
    assert.ok(msg);
    assert.match(msg, /Show task budget report/);
    assert.match(msg, /lime-task-lint\.budgetReport/);
    assert.match(msg, /0\.1\.0/);
    assert.ok(missingCommandMessage(SERVER_COMMANDS.generateDocstring, init()));
    assert.ok(missingCommandMessage(SERVER_COMMANDS.fixAll, undefined));
    assert.deepStrictEqual(serverCommands(undefined), []);
  });

  test("server and client ids", () => {
    assert.deepStrictEqual(
      Object.values(SERVER_COMMANDS).map((c) => [c.client, c.server]),
      [
        ["limeTaskLint.fixAll", "lime-task-lint.fixAll"],
        ["limeTaskLint.generateDocstring", "lime-task-lint.generateDocstring"],
        ["limeTaskLint.showBudgetReport", "lime-task-lint.budgetReport"],
      ],
    );
  });

  test("the budget report result carries html", () => {
    assert.strictEqual(budgetReportHtml({ html: "<h1>x</h1>" }), "<h1>x</h1>");
    assert.strictEqual(budgetReportHtml({ html: 3 }), undefined);
    assert.strictEqual(budgetReportHtml(null), undefined);
    assert.strictEqual(budgetReportHtml("<h1>"), undefined);
  });
});
