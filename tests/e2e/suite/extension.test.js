// End-to-end tests run inside a real VS Code extension host (code-server), with the
// extension installed from the built .vsix and the bundled server started on the
// Python of this run (run.sh runs the suite on 3.10 and on the newest Python; none
// has the server's dependencies installed). The workspace is multi-root: its first
// folder's path has a space and a non-ASCII letter ("Åsa projekt"), so every URI
// VS Code sends is percent-encoded; the second folder sets limeTaskLint.enable false.
// @ts-check
const assert = require("assert");
const fs = require("fs");
const path = require("path");
const vscode = require("vscode");

const EXT_ID = "lime-task-lint.lime-task-lint";
const SOURCE = "lime-task-lint";
const LEN_OF_QUERY = "len(list(app.limetypes.company.get_all()))";
const COUNT = "app.limetypes.company.get_all().count";

const SAMPLE = [
  "from lime_task import task",
  "",
  "",
  "@task",
  "def count_companies(app):",
  '    """Count companies."""',
  `    return ${LEN_OF_QUERY}`,
  "",
].join("\n");

// A safe fix (LIME104) next to code whose fix is unsafe (LIME201, commit in a loop).
const LOOP = [
  "    for company in app.limetypes.company.get_all():",
  "        uow = app.unit_of_work()",
  "        company.properties.touched.value = True",
  "        uow.add(company)",
  "        uow.commit()",
].join("\n");
const FIXALL_SAMPLE = [
  "from lime_task import task",
  "",
  "",
  "@task",
  "def count_and_touch(app):",
  '    """Count companies and touch each one."""',
  `    total = ${LEN_OF_QUERY}`,
  LOOP,
  "    return total",
  "",
].join("\n");

/** Which run this is: { python, alt, label } written by run.sh. */
const RUN = process.env.LTL_E2E_RUN_INFO ? JSON.parse(fs.readFileSync(process.env.LTL_E2E_RUN_INFO, "utf8")) : {};

function wsRoot(index = 0) {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[index];
  assert.ok(folder, `workspace folder ${index} is open`);
  return folder.uri.fsPath;
}

/** Writes a file in the workspace copy (under e2e_tmp/, or `dir`) and opens it in an editor. */
async function openNew(name, text, dir = path.join(wsRoot(), "e2e_tmp")) {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  const doc = await vscode.workspace.openTextDocument(file);
  const editor = await vscode.window.showTextDocument(doc);
  return { doc, editor };
}

async function waitFor(what, fn, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) {
        return last;
      }
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
}

function codeOf(d) {
  return d.code !== null && typeof d.code === "object" ? d.code.value : d.code;
}

function ours(uri, code) {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE && (!code || codeOf(d) === code));
}

/** Language server processes started by this extension host (Linux /proc). */
function serverPids() {
  const pids = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (ppid === process.pid && cmdline.includes("lime_task_lint")) {
        pids.push(Number(entry));
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

function serverArgv0(pid) {
  return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
}

async function api() {
  const ext = vscode.extensions.getExtension(EXT_ID);
  assert.ok(ext, `${EXT_ID} is installed`);
  return ext.isActive ? ext.exports : await ext.activate();
}

async function expectLenOfQuery(doc) {
  return waitFor("a LIME104 diagnostic", () => ours(doc.uri, "LIME104")[0]);
}

async function setInterpreter(value) {
  await vscode.workspace.getConfiguration("limeTaskLint").update("interpreter", value, vscode.ConfigurationTarget.Global);
}

/** The interpreter this run's user settings chose (restored after the switch tests). */
const RUN_INTERPRETER = vscode.workspace.getConfiguration("limeTaskLint").inspect("interpreter").globalValue;

async function setWorkspaceSetting(key, value) {
  await vscode.workspace.getConfiguration("limeTaskLint").update(key, value, vscode.ConfigurationTarget.Workspace);
}

async function fixAllActions(doc) {
  const whole = new vscode.Range(0, 0, doc.lineCount, 0);
  const actions = await vscode.commands.executeCommand("vscode.executeCodeActionProvider", doc.uri, whole, "source.fixAll");
  return (actions || []).filter((a) => a.kind && a.kind.value.startsWith("source.fixAll.lime-task-lint"));
}

async function hoverText(doc, pos) {
  const hovers = await vscode.commands.executeCommand("vscode.executeHoverProvider", doc.uri, pos);
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === "string" ? c : c.value))
    .join("\n");
}

suite("Lime Task Lint in VS Code", function () {
  this.timeout(90000);

  // Fail fast, with the reason, when the server is not up (instead of every test
  // waiting for diagnostics that cannot come). A failing hook stops the suite.
  setup(async function () {
    const lime = await api();
    try {
      await waitFor("the server to run", () => lime.serverState() === "running", 20000);
    } catch {
      throw new Error(`the server is not running (state: ${lime.serverState()}); see the Lime Task Lint log in the exthost logs`);
    }
  });

  suiteTeardown(async () => {
    await setInterpreter(RUN_INTERPRETER);
    await setWorkspaceSetting("ignore", undefined);
    await setWorkspaceSetting("fixAll", undefined);
  });

  test("the workspace path has a space and a non-ASCII letter, sent percent-encoded", () => {
    assert.match(wsRoot(), /Åsa projekt$/);
    assert.ok(vscode.workspace.workspaceFolders[0].uri.toString().includes("%C3%85sa%20projekt"));
  });

  test("the server runs on this run's Python", async function () {
    if (!RUN.python) {
      console.log("SKIP reason: run.sh named no Python for this run (LTL_E2E_RUN_INFO)");
      this.skip();
    }
    console.log(`run: ${RUN.label} Python ${RUN.python}`);
    const [pid] = await waitFor("one server", () => (serverPids().length === 1 ? serverPids() : undefined));
    assert.strictEqual(serverArgv0(pid), RUN.python);
  });

  test("opening a Python file activates the extension and starts one server", async () => {
    await openNew("activate.py", SAMPLE);
    const ext = vscode.extensions.getExtension(EXT_ID);
    assert.ok(ext, "the .vsix is installed");
    await waitFor("activation", () => ext.isActive);
    const pids = await waitFor("the server process", () => (serverPids().length === 1 ? serverPids() : undefined));
    assert.strictEqual(pids.length, 1);
    const commands = (await api()).serverCommands();
    console.log(`server commands: ${commands.join(", ") || "none"}`);
  });

  test("LIME104 diagnostic appears on len(list(<read>))", async () => {
    const { doc } = await openNew("diagnostic.py", SAMPLE);
    assert.ok(doc.uri.toString().includes("%C3%85sa%20projekt"), doc.uri.toString());
    const d = await expectLenOfQuery(doc);
    assert.strictEqual(d.source, SOURCE);
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Warning);
    const flagged = doc.getText(d.range);
    assert.ok(LEN_OF_QUERY.includes(flagged) || flagged.includes("get_all"), `range covers the read: ${flagged}`);
    assert.strictEqual(d.range.start.line, 6);
  });

  test("the quick fix rewrites it to .count", async () => {
    const { doc } = await openNew("quickfix.py", SAMPLE);
    const d = await expectLenOfQuery(doc);
    const actions = await vscode.commands.executeCommand("vscode.executeCodeActionProvider", doc.uri, d.range, "quickfix", 10);
    const titles = actions.map((a) => a.title);
    const fix = actions.find((a) => a.title.startsWith("Use `.count`"));
    assert.ok(fix, `a "Use \`.count\`" quick fix among: ${titles.join(" | ")}`);
    assert.ok(!fix.title.includes("(unsafe)"), "the .count fix is safe");
    if (fix.edit) {
      assert.ok(await vscode.workspace.applyEdit(fix.edit));
    }
    if (fix.command) {
      await vscode.commands.executeCommand(fix.command.command, ...(fix.command.arguments || []));
    }
    await waitFor("the rewritten text", () => doc.getText().includes(`return ${COUNT}`));
    assert.ok(!doc.getText().includes("len(list("));
    await waitFor("LIME104 to go away", () => ours(doc.uri, "LIME104").length === 0);
  });

  test("the example task file (examples/limepkg_acme/tasks/contacts.py) gets LIME104 and its .count fix", async function () {
    const file = path.join(wsRoot(), "limepkg_acme", "tasks", "contacts.py");
    if (!fs.existsSync(file) || !fs.readFileSync(file, "utf8").includes(LEN_OF_QUERY)) {
      console.log(`SKIP reason: ${file} is missing or has no ${LEN_OF_QUERY}`);
      this.skip();
    }
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const line = doc.getText().split("\n").findIndex((l) => l.includes(LEN_OF_QUERY));
    const d = await waitFor("LIME104 on the len(list(...)) line", () =>
      ours(doc.uri, "LIME104").find((x) => x.range.start.line === line),
    );
    const codes = [...new Set(ours(doc.uri).map(codeOf))].sort();
    console.log(`contacts.py diagnostics: ${codes.join(", ")}`);
    const actions = await vscode.commands.executeCommand("vscode.executeCodeActionProvider", doc.uri, d.range, "quickfix", 10);
    const fix = actions.find((a) => a.title.startsWith("Use `.count`"));
    assert.ok(fix && fix.edit, `a "Use \`.count\`" fix with an edit among: ${actions.map((a) => a.title).join(" | ")}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.ok(doc.lineAt(line).text.includes(COUNT), doc.lineAt(line).text);
    await waitFor("LIME104 to go away", () => !ours(doc.uri, "LIME104").some((x) => x.range.start.line === line));
    await vscode.commands.executeCommand("workbench.action.files.revert");
  });

  test("the hover shows a memory estimate", async () => {
    const { doc } = await openNew("hover.py", SAMPLE);
    await expectLenOfQuery(doc);
    const pos = doc.positionAt(doc.getText().indexOf("get_all") + 2);
    const text = await hoverText(doc, pos);
    assert.match(text, /\d[\d.,]*\s*(MB|MiB|KB|kB|GB)/, `a memory estimate in the hover: ${text}`);
  });

  test("Fix all in file applies safe fixes only", async () => {
    const { doc } = await openNew("fixall.py", FIXALL_SAMPLE);
    await expectLenOfQuery(doc);
    const whole = new vscode.Range(0, 0, doc.lineCount, 0);
    const actions = await vscode.commands.executeCommand("vscode.executeCodeActionProvider", doc.uri, whole, "quickfix", 20);
    // The text flagged by a diagnostic whose fix is unsafe must survive fix-all.
    const unsafe = actions
      .filter((a) => a.title.includes("(unsafe)"))
      .flatMap((a) => a.diagnostics || [])
      .map((d) => doc.getText(d.range));
    console.log(`unsafe fixes offered: ${actions.filter((a) => a.title.includes("(unsafe)")).map((a) => a.title).join(" | ") || "none"}`);
    await vscode.commands.executeCommand("limeTaskLint.fixAll");
    await waitFor("the safe fix", () => doc.getText().includes(`total = ${COUNT}`));
    const after = doc.getText();
    assert.ok(!after.includes("len(list("), "LIME104 fixed");
    assert.ok(after.includes(LOOP), "the loop (unsafe LIME201 fix) is left as it was");
    for (const text of unsafe) {
      assert.ok(after.includes(text), `code with an unsafe fix is unchanged: ${text}`);
    }
  });

  test("Restart server recovers after the server process is killed", async () => {
    const [pid] = await waitFor("a running server", () => (serverPids().length === 1 ? serverPids() : undefined));
    process.kill(pid, "SIGKILL");
    await waitFor("the killed server to be gone", () => !serverPids().includes(pid));
    await vscode.commands.executeCommand("limeTaskLint.restart");
    const pids = await waitFor("exactly one new server", () => {
      const now = serverPids();
      return now.length === 1 && now[0] !== pid ? now : undefined;
    });
    assert.notStrictEqual(pids[0], pid);
    const { doc } = await openNew("after_restart.py", SAMPLE);
    await expectLenOfQuery(doc);
  });

  test("editor settings reach the server (ignore LIME104 in the workspace)", async () => {
    const { doc } = await openNew("settings.py", SAMPLE);
    await expectLenOfQuery(doc);
    const config = vscode.workspace.getConfiguration("limeTaskLint");
    await config.update("ignore", ["LIME104"], vscode.ConfigurationTarget.Workspace);
    await waitFor("LIME104 to be ignored", () => ours(doc.uri, "LIME104").length === 0);
    await config.update("ignore", undefined, vscode.ConfigurationTarget.Workspace);
    await expectLenOfQuery(doc);
  });

  test("changing limeTaskLint.interpreter restarts the server on that Python", async function () {
    const alt = RUN.alt;
    if (!alt) {
      console.log("SKIP reason: only one supported Python found on this machine (run.sh names no other)");
      this.skip();
    }
    const [before] = await waitFor("a running server", () => (serverPids().length === 1 ? serverPids() : undefined));
    await setInterpreter(alt);
    const [pid] = await waitFor(`a server on ${alt}`, () => {
      const now = serverPids();
      return now.length === 1 && now[0] !== before && serverArgv0(now[0]) === alt ? now : undefined;
    });
    assert.ok(pid);
    const { doc } = await openNew("other_python.py", SAMPLE);
    await expectLenOfQuery(doc);
    await setInterpreter(RUN_INTERPRETER);
    await waitFor("the server back on this run's Python", () => {
      const now = serverPids();
      return now.length === 1 && serverArgv0(now[0]) !== alt;
    });
  });

  test("a too old interpreter is refused and no server runs", async function () {
    const old = process.env.LTL_E2E_PY_OLD;
    if (!old) {
      console.log("SKIP reason: no Python older than 3.10 found on this machine (LTL_E2E_PY_OLD unset)");
      this.skip();
    }
    await setInterpreter(old);
    await waitFor("the server to stop", () => serverPids().length === 0);
    const lime = await api();
    await new Promise((r) => setTimeout(r, 1500));
    assert.strictEqual(serverPids().length, 0, "no server on an unsupported Python");
    assert.deepStrictEqual(lime.serverCommands(), []);
    await setInterpreter(RUN_INTERPRETER);
    await waitFor("the server to come back", () => serverPids().length === 1);
  });

  test("Show task budget report opens a webview (or says the server lacks it)", async function () {
    const { doc } = await openNew("budget.py", SAMPLE);
    await expectLenOfQuery(doc);
    const lime = await api();
    if (!lime.serverCommands().includes("lime-task-lint.budgetReport")) {
      // The client shows a message instead; the command must not throw.
      await vscode.commands.executeCommand("limeTaskLint.showBudgetReport");
      console.log("SKIP reason: the server has no lime-task-lint.budgetReport command yet (the client says so)");
      this.skip();
    }
    await vscode.commands.executeCommand("limeTaskLint.showBudgetReport");
    await waitFor("the report tab", () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.label.startsWith("Task budget")),
    );
  });

  test("Generate docstring writes one (or says the server lacks it)", async function () {
    const { doc, editor } = await openNew(
      "docstring.py",
      "from lime_task import task\n\n\n@task\ndef nodoc(app, limit: int):\n    return limit\n",
    );
    const lime = await api();
    await waitFor("the server", () => serverPids().length === 1);
    editor.selection = new vscode.Selection(4, 6, 4, 6);
    if (!lime.serverCommands().includes("lime-task-lint.generateDocstring")) {
      await vscode.commands.executeCommand("limeTaskLint.generateDocstring");
      console.log("SKIP reason: the server has no lime-task-lint.generateDocstring command yet (the client says so)");
      this.skip();
    }
    await vscode.commands.executeCommand("limeTaskLint.generateDocstring");
    await waitFor("a docstring", () => doc.getText().includes('"""'));
  });

  test("a setting from pyproject.toml applies to the files below it", async () => {
    const dir = path.join(wsRoot(), "e2e_tmp", "configured");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "pyproject.toml"), '[tool.lime-task-lint]\nignore = ["LIME104"]\n');
    // The same code outside that folder still gets LIME104: the file's setting, not the rule, made the difference.
    await expectLenOfQuery((await openNew("unconfigured.py", SAMPLE)).doc);
    const { doc } = await openNew("configured.py", SAMPLE, dir);
    // Another finding of the file (LIME402, no type annotations) shows it was analysed.
    await waitFor("the file's other findings", () => ours(doc.uri).length > 0);
    assert.deepStrictEqual(ours(doc.uri, "LIME104"), [], "LIME104 is ignored by the folder's pyproject.toml");
  });

  test("limeTaskLint.enable false in one folder's settings: no findings there, the other folder still linted", async () => {
    const offRoot = wsRoot(1);
    assert.strictEqual(vscode.workspace.getConfiguration("limeTaskLint", vscode.Uri.file(offRoot)).get("enable"), false);
    const { doc: on } = await openNew("enabled.py", SAMPLE);
    const { doc: off } = await openNew("disabled.py", SAMPLE, offRoot);
    await expectLenOfQuery(on);
    // Give the disabled folder's file the time the enabled one needed, and more.
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepStrictEqual(ours(off.uri).map(codeOf), [], "no findings in the folder with enable: false");
  });

  test("limeTaskLint.fixAll false keeps Lime out of source.fixAll", async () => {
    const { doc } = await openNew("fixall_setting.py", SAMPLE);
    await expectLenOfQuery(doc);
    const offered = await waitFor("a source.fixAll.lime-task-lint action by default", async () => (await fixAllActions(doc)).length > 0);
    assert.ok(offered);
    await setWorkspaceSetting("fixAll", false);
    try {
      await waitFor("no source.fixAll.lime-task-lint action", async () => (await fixAllActions(doc)).length === 0, 15000);
      // The quick fix of the same finding is still there.
      const d = ours(doc.uri, "LIME104")[0];
      const quick = await vscode.commands.executeCommand("vscode.executeCodeActionProvider", doc.uri, d.range, "quickfix");
      assert.ok(quick.some((a) => a.title.startsWith("Use `.count`")), "the quick fix stays");
    } finally {
      await setWorkspaceSetting("fixAll", undefined);
    }
  });
});
