// Runs the client's unit tests (compiled by tsc into out/tsc) with mocha, in plain
// Node (no VS Code), and ends with the line "N passed, N failed".
const path = require("path");
const fs = require("fs");
const Mocha = require("mocha");

const dir = path.resolve(__dirname, "..", "..", "out", "tsc", "client", "test");
const mocha = new Mocha({ ui: "tdd", reporter: "spec", timeout: 10000 });
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".test.js")).sort()) {
  mocha.addFile(path.join(dir, f));
}
let passed = 0;
let failed = 0;
const failures = [];
const runner = mocha.run((count) => {
  for (const f of failures) console.log(`FAILED ${f}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = count || passed === 0 ? 1 : 0;
});
runner.on("pass", () => passed++);
runner.on("fail", (test, err) => {
  failed++;
  failures.push(`${test.fullTitle()}: ${String((err && err.message) || "").split("\n")[0]}`);
});
