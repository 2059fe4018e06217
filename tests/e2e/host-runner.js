// Drives code-server's workbench in headless chromium so that it loads the
// extension in development mode and runs the in-host mocha suite
// (extensionTestsPath), like @vscode/test-electron does with a desktop VS Code.
// Usage: node host-runner.js <port> <workspace dir or .code-workspace file> <extension dir> <tests index.js>
// Exits with the extension host's exit code.
const path = require("path");
const util = require("util");
const { chromium } = require(path.join(process.env.LTL_TOOLS, "pw", "node_modules", "playwright-core"));
const { launchOptions } = require("./browser");

async function main() {
  const [port, ws, extDir, testsPath] = process.argv.slice(2);
  const remote = `vscode-remote://127.0.0.1:${port}`;
  const payload = [
    ["extensionDevelopmentPath", `${remote}${extDir}`],
    ["extensionTestsPath", `${remote}${testsPath}`],
  ];
  const open = ws.endsWith(".code-workspace") ? "workspace" : "folder";
  const url = `http://127.0.0.1:${port}/?${open}=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const browser = await chromium.launch(launchOptions());
  const started = Date.now();
  let done;
  const exited = new Promise((resolve) => (done = resolve));
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.exposeFunction("codeAutomationLog", (type, args) => {
      const text = Array.isArray(args) ? util.format(...args) : String(args);
      for (const line of text.split("\n")) {
        console.log(`[exthost ${type}] ${line}`);
      }
    });
    await page.exposeFunction("codeAutomationExit", (code) => done(Number(code) || 0));
    await page.goto(url);
    const timeoutMs = Number(process.env.LTL_E2E_HOST_TIMEOUT_MS || 600000);
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve("timeout"), timeoutMs)),
    ]);
    if (code === "timeout") {
      console.log(`extension host did not finish within ${timeoutMs} ms`);
      await page.screenshot({ path: path.join(process.env.LTL_SHOTS, "host-timeout.png") }).catch(() => {});
      return 1;
    }
    console.log(`extension host exit code: ${code} after ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return code;
  } finally {
    await browser.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
