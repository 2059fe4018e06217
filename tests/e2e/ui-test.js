// UI test in the real VS Code workbench (code-server + headless chromium), with the
// extension installed from the .vsix: what a user sees. Screenshots go to $LTL_SHOTS.
// Usage: node ui-test.js <port> <workspace dir>
// Writes {passed, failed, skipped} to $LTL_UI_RESULT.
const fs = require("fs");
const path = require("path");
const { chromium } = require(path.join(process.env.LTL_TOOLS, "pw", "node_modules", "playwright-core"));
const { launchOptions } = require("./browser");

const [port, ws] = process.argv.slice(2);
const SHOTS = process.env.LTL_SHOTS;
const FILE = "task_sample.py";
const norm = (s) => (s || "").replace(/\u00a0/g, " ");

async function main() {
  const browser = await chromium.launch(launchOptions());
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  let broken;

  async function step(name, fn) {
    if (broken) {
      counts.failed++;
      counts.failures.push(`${name}: not run, "${broken}" failed`);
      console.log(`  ✘ ${name}: not run, "${broken}" failed`);
      return;
    }
    const t0 = Date.now();
    try {
      const r = await fn();
      if (r && r.skip) {
        counts.skipped++;
        console.log(`  - ${name} (skipped: ${r.skip})`);
      } else {
        counts.passed++;
        console.log(`  ✔ ${name} (${Date.now() - t0}ms)`);
      }
    } catch (err) {
      counts.failed++;
      counts.failures.push(`${name}: ${err.message.split("\n")[0]}`);
      console.log(`  ✘ ${name}: ${err.message.split("\n")[0]}`);
      await shot(`failed-${name.replace(/\W+/g, "-")}`).catch(() => {});
      if (fn.critical) {
        broken = name;
      }
    }
  }
  const critical = (fn) => Object.assign(fn, { critical: true });

  async function palette(title) {
    await page.keyboard.press("Control+Shift+P");
    await page.waitForSelector(".quick-input-widget:not(.hidden) input");
    await page.keyboard.type(title);
    await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor({ timeout: 15000 });
    await page.keyboard.press("Enter");
  }

  async function quickOpen(name) {
    await page.keyboard.press("Control+P");
    await page.waitForSelector(".quick-input-widget:not(.hidden) input");
    await page.keyboard.type(name);
    // Enter before the list is filled opens nothing: wait for the row.
    await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().waitFor({ timeout: 15000 });
    await page.keyboard.press("Enter");
  }

  const squiggle = page.locator(".monaco-editor .squiggly-warning").first();

  console.log("UI test (code-server, chromium)");
  try {
    await step("workbench loads the workspace", critical(async () => {
      await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
      await page.waitForSelector(".monaco-workbench", { timeout: 60000 });
      await page.waitForSelector(".explorer-folders-view .monaco-list-row", { timeout: 60000 });
    }));

    await step("LIME104 squiggle on the example task", critical(async () => {
      await quickOpen(FILE);
      await page.waitForSelector(".monaco-editor .view-lines");
      await squiggle.waitFor({ timeout: 60000 });
      await shot("01-diagnostic");
    }));

    await step("hover on the read shows a memory estimate", async () => {
      const box = await squiggle.boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const hover = page.locator(".monaco-hover:not(.hidden)").first();
      await hover.waitFor({ timeout: 15000 });
      await page.waitForTimeout(1500); // let every hover provider answer
      const text = norm(await hover.innerText());
      await shot("03-hover");
      await page.keyboard.press("Escape");
      if (!/\d[\d.,]*\s*(MB|MiB|KB|kB|GB)/.test(text)) {
        return { skip: `the server's hover has no memory estimate yet (hover text: ${JSON.stringify(text.slice(0, 120))})` };
      }
      return undefined;
    });

    await step("Problems panel lists LIME104 from lime-task-lint", async () => {
      await page.keyboard.press("Control+Shift+M");
      const row = page.locator(".markers-panel .monaco-list-row", { hasText: "LIME104" }).first();
      await row.waitFor({ timeout: 15000 });
      const text = norm(await row.innerText());
      if (!text.includes("lime-task-lint")) {
        throw new Error(`row without the source: ${text}`);
      }
      await shot("02-problems");
    });

    await step("status bar shows the server running", async () => {
      const item = page.locator(".statusbar-item", { hasText: "Lime Task Lint" }).first();
      await item.waitFor({ timeout: 15000 });
      await page.waitForFunction(
        () => [...document.querySelectorAll(".statusbar-item")].some((e) =>
          e.textContent.includes("Lime Task Lint") && e.querySelector(".codicon-check")),
        null, { timeout: 30000 },
      );
    });

    await step("quick fix \"Use `.count`\" rewrites the line", async () => {
      // Go to the problem from the Problems panel (puts the cursor on it), then Ctrl+.
      await page.locator(".markers-panel .monaco-list-row", { hasText: "LIME104" }).first().click();
      await page.keyboard.press("Enter");
      await page.waitForTimeout(300);
      await page.keyboard.press("Control+.");
      const rows = page.locator(".action-widget .monaco-list-row");
      await rows.first().waitFor({ timeout: 15000 });
      await page.locator(".action-widget .monaco-list-row", { hasText: "Use `.count`" }).first().waitFor({ timeout: 15000 });
      // The menu item cannot be clicked (a pointer block covers it): move the focus, press Enter.
      for (let i = 0; i < 15; i++) {
        const focused = norm(await page.locator(".action-widget .monaco-list-row.focused").first().innerText().catch(() => ""));
        if (focused.includes("Use `.count`")) {
          break;
        }
        await page.keyboard.press("ArrowDown");
      }
      await shot("04-quickfix-menu");
      await page.keyboard.press("Enter");
      await page.waitForFunction(
        () => document.querySelector(".monaco-editor .view-lines").innerText.replace(/\u00a0/g, " ")
          .includes("app.limetypes.company.get_all().count"),
        null, { timeout: 15000 },
      );
      await page.keyboard.press("Control+S");
      const saved = (t) => t.includes("return app.limetypes.company.get_all().count") && !t.includes("len(list(");
      let onDisk = "";
      for (let i = 0; i < 100 && !saved(onDisk); i++) {
        await page.waitForTimeout(100);
        onDisk = fs.readFileSync(path.join(ws, FILE), "utf8");
      }
      if (!saved(onDisk)) {
        throw new Error(`file after the fix and Ctrl+S: ${onDisk}`);
      }
      await page.locator(".markers-panel .monaco-list-row", { hasText: "LIME104" }).first()
        .waitFor({ state: "detached", timeout: 15000 });
      await shot("05-after-quickfix");
    });

    await step("\"Lime Task Lint: Show logs\" shows the server log", async () => {
      await palette("Lime Task Lint: Show logs");
      // The channel is selected in the Output view and shows the server's log lines.
      await page.waitForFunction(
        () => {
          const panel = document.querySelector(".part.panel");
          const select = panel && panel.querySelector("select.monaco-select-box");
          const text = panel ? panel.querySelector(".view-lines")?.innerText || "" : "";
          // The view shows the log's last lines, whichever records they are: any line
          // of the server's log format (time, [level]) shows the server's log.
          return select && select.selectedOptions[0]?.text.includes("Lime Task Lint") &&
            /\[(trace|debug|info|warning|error)\]|lime_task_lint/i.test(text);
        },
        null, { timeout: 15000 },
      );
      await shot("06-logs");
    });

    await step("the settings UI documents limeTaskLint settings", async () => {
      await page.keyboard.press("Control+,");
      await page.waitForSelector(".settings-editor", { timeout: 15000 });
      await page.keyboard.type("limeTaskLint");
      const count = page.locator(".settings-editor .settings-count-widget");
      await page.waitForFunction(
        () => /([2-9]\d) Settings Found/.test(document.querySelector(".settings-editor .settings-count-widget")?.textContent || ""),
        null, { timeout: 15000 },
      );
      await page.locator(".settings-editor .setting-item-label", { hasText: "Batch Size" }).first().waitFor({ timeout: 15000 });
      console.log(`    settings UI: ${await count.innerText()}`);
      await shot("07-settings");
    });

    await step("the example contacts.py shows its problems", async () => {
      const file = path.join(ws, "limepkg_acme", "tasks", "contacts.py");
      if (!fs.existsSync(file)) {
        return { skip: "examples/limepkg_acme/tasks/contacts.py is not there" };
      }
      await page.keyboard.press("Escape");
      await quickOpen("contacts.py");
      await page.keyboard.press("Control+Shift+M");
      await page.locator(".markers-panel .monaco-list-row", { hasText: "LIME104" }).first().waitFor({ timeout: 30000 });
      await squiggle.waitFor({ timeout: 30000 });
      await shot("08-example-contacts");
      return undefined;
    });
  } finally {
    await browser.close();
  }
  if (process.env.LTL_UI_RESULT) {
    fs.writeFileSync(process.env.LTL_UI_RESULT, JSON.stringify(counts));
  }
  return counts.failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
