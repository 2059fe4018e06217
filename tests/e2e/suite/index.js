// Loaded by VS Code's extension host (extensionTestsPath), exactly like a
// @vscode/test-electron test runner: runs the mocha suites next to this file with
// the real vscode API, and writes the counts to the file run.sh names in
// $LTL_E2E_RUN_INFO (one code-server, so one environment, serves several runs).
const fs = require("fs");
const path = require("path");
const Mocha = require("mocha");

exports.run = function run() {
  const mocha = new Mocha({ ui: "tdd", color: false, timeout: 60000, reporter: "spec" });
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith(".test.js")).sort()) {
    mocha.addFile(path.join(__dirname, f));
  }
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const info = process.env.LTL_E2E_RUN_INFO ? JSON.parse(fs.readFileSync(process.env.LTL_E2E_RUN_INFO, "utf8")) : {};
      if (info.result) {
        fs.writeFileSync(info.result, JSON.stringify(counts));
      }
      failures > 0 ? reject(new Error(`${failures} tests failed`)) : resolve();
    });
    runner.on("pass", () => counts.passed++);
    runner.on("fail", (t, err) => {
      counts.failed++;
      counts.failures.push(`${t.fullTitle()}: ${err && err.message}`);
    });
    runner.on("pending", () => counts.skipped++);
  });
};
