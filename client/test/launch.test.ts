import * as assert from "assert";
import * as path from "path";
import {
  buildServerLaunch,
  CrashRestarts,
  declareRequiredVersionNotification,
  INSTALLED_PROBE_SCRIPT,
  LaunchInputs,
  mismatchMessage,
  normaliseImportStrategy,
  parseInstalledProbe,
  parseMismatch,
  pickImportStrategy,
  shouldPopUpVersionMismatch,
} from "../src/launch";

const posix = { delimiter: ":", join: path.posix.join };

function inputs(overrides: Partial<LaunchInputs>): LaunchInputs {
  return {
    interpreter: ["/ws/.venv/bin/python"],
    requested: "useBundled",
    extensionPath: "/ext",
    baseEnv: { PATH: "/usr/bin", PYTHONPATH: "/user/lib", PYTHONNOUSERSITE: "0", HOME: "/home/me" },
    ...posix,
    ...overrides,
  };
}

suite("importStrategy setting", () => {
  test("known values are kept, anything else is the default", () => {
    assert.strictEqual(normaliseImportStrategy("fromEnvironment"), "fromEnvironment");
    assert.strictEqual(normaliseImportStrategy("useBundled"), "useBundled");
    assert.strictEqual(normaliseImportStrategy("fromenvironment"), "useBundled");
    assert.strictEqual(normaliseImportStrategy(undefined), "useBundled");
    assert.strictEqual(normaliseImportStrategy(["fromEnvironment"]), "useBundled");
  });

  test("trusted workspace: folder, then workspace, then user value", () => {
    const inspected = { defaultValue: "useBundled", globalValue: "useBundled", workspaceValue: "fromEnvironment" };
    assert.strictEqual(pickImportStrategy(inspected, true), "fromEnvironment");
    assert.strictEqual(pickImportStrategy({ ...inspected, workspaceFolderValue: "useBundled" }, true), "useBundled");
    assert.strictEqual(pickImportStrategy({ defaultValue: "useBundled" }, true), "useBundled");
    assert.strictEqual(pickImportStrategy(undefined, true), "useBundled");
  });

  test("untrusted workspace: a cloned repository cannot make us run its environment's code", () => {
    const inspected = { defaultValue: "useBundled", workspaceValue: "fromEnvironment", workspaceFolderValue: "fromEnvironment" };
    assert.strictEqual(pickImportStrategy(inspected, false), "useBundled");
    assert.strictEqual(pickImportStrategy({ ...inspected, globalValue: "fromEnvironment" }, false), "fromEnvironment");
  });
});

suite("server command line per import strategy", () => {
  test("useBundled: bundled libs and server first on PYTHONPATH, no user site", () => {
    const launch = buildServerLaunch(inputs({ interpreter: ["/usr/bin/env", "python3.11"] }));
    assert.strictEqual(launch.strategy, "useBundled");
    assert.strictEqual(launch.command, "/usr/bin/env");
    assert.deepStrictEqual(launch.args, ["python3.11", "-m", "lime_task_lint"]);
    assert.strictEqual(launch.env.PYTHONPATH, "/ext/bundled/libs:/ext/server");
    assert.strictEqual(launch.env.PYTHONNOUSERSITE, "1");
    assert.strictEqual(launch.env.PYTHONSAFEPATH, "1");
    assert.strictEqual(launch.env.HOME, "/home/me");
  });

  test("useBundled does not look at the environment even when told what it holds", () => {
    const launch = buildServerLaunch(inputs({ installed: { found: true, version: "0.2.0", location: "/x" } }));
    assert.strictEqual(launch.strategy, "useBundled");
    assert.strictEqual(launch.env.PYTHONPATH, "/ext/bundled/libs:/ext/server");
  });

  test("fromEnvironment with lime-task-lint installed: nothing bundled on the path", () => {
    const launch = buildServerLaunch(inputs({
      requested: "fromEnvironment",
      installed: { found: true, version: "0.3.1", location: "/ws/.venv/lib/python3.12/site-packages/lime_task_lint/__init__.py" },
    }));
    assert.strictEqual(launch.strategy, "fromEnvironment");
    assert.strictEqual(launch.command, "/ws/.venv/bin/python");
    assert.deepStrictEqual(launch.args, ["-m", "lime_task_lint"]);
    assert.ok(!("PYTHONPATH" in launch.env), "neither the bundle nor an inherited PYTHONPATH");
    assert.ok(!("PYTHONNOUSERSITE" in launch.env), "the environment as a terminal sees it");
    assert.strictEqual(launch.env.PYTHONSAFEPATH, "1");
    assert.match(launch.notes.join("\n"), /lime-task-lint 0\.3\.1 installed for \/ws\/\.venv\/bin\/python/);
  });

  test("fromEnvironment without the package falls back to the bundle and says why", () => {
    const launch = buildServerLaunch(inputs({ requested: "fromEnvironment", installed: { found: false, missing: ["lime_task_lint"] } }));
    assert.strictEqual(launch.strategy, "useBundled");
    assert.strictEqual(launch.env.PYTHONPATH, "/ext/bundled/libs:/ext/server");
    assert.deepStrictEqual(launch.args, ["-m", "lime_task_lint"]);
    const note = launch.notes.join("\n");
    assert.match(note, /lime_task_lint not installed there/);
    assert.match(note, /using the bundled server/);
    assert.match(note, /pip install lime-task-lint/);
  });

  test("fromEnvironment whose lookup failed falls back with the error", () => {
    const launch = buildServerLaunch(inputs({ requested: "fromEnvironment", installed: { error: "timed out" } }));
    assert.strictEqual(launch.strategy, "useBundled");
    assert.match(launch.notes.join("\n"), /looking for it failed: timed out/);
  });

  test("Windows paths use the platform's delimiter", () => {
    const launch = buildServerLaunch(inputs({ extensionPath: "C:\\ext", delimiter: ";", join: path.win32.join }));
    assert.strictEqual(launch.env.PYTHONPATH, "C:\\ext\\bundled\\libs;C:\\ext\\server");
  });
});

suite("installed server lookup", () => {
  test("parses found and missing", () => {
    assert.deepStrictEqual(parseInstalledProbe("found 0.3.1\r\n/venv/site-packages/lime_task_lint/__init__.py\r\n"), {
      found: true,
      version: "0.3.1",
      location: "/venv/site-packages/lime_task_lint/__init__.py",
    });
    assert.deepStrictEqual(parseInstalledProbe("missing lime_task_lint radon\n"), { found: false, missing: ["lime_task_lint", "radon"] });
    assert.throws(() => parseInstalledProbe("Traceback (most recent call last):"), /unexpected output/);
    assert.throws(() => parseInstalledProbe(""), /unexpected output/);
  });

  test("the script runs on a real Python and reads what parseInstalledProbe expects", function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawnSync } = require("child_process") as typeof import("child_process");
    const repo = path.resolve(__dirname, "..", "..", "..", "..");
    const venvPython = path.join(repo, ".venv", "bin", "python");
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONSAFEPATH: "1" };
    delete env.PYTHONPATH;
    const bare = spawnSync("python3", ["-I", "-c", INSTALLED_PROBE_SCRIPT], { encoding: "utf8", cwd: "/", env });
    if (bare.error) {
      this.skip();
    }
    // An isolated interpreter (-I: no site-packages of a user) lacks the server.
    const withoutSite = parseInstalledProbe(bare.stdout);
    assert.ok(!withoutSite.found && withoutSite.missing.includes("lime_task_lint"), bare.stdout);
    // The development venv has it (installed editable, or on its path).
    const dev = spawnSync(venvPython, ["-c", INSTALLED_PROBE_SCRIPT], { encoding: "utf8", cwd: "/", env });
    if (dev.error) {
      return;
    }
    const found = parseInstalledProbe(dev.stdout);
    assert.ok(found.found, dev.stdout + dev.stderr);
    assert.match(found.location, /lime_task_lint/);
  });
});

suite("required-version mismatch", () => {
  const params = {
    uri: "file:///ws/tasks/deals.py",
    configFile: "/ws/pyproject.toml",
    requiredVersion: ">=99",
    serverVersion: "0.1.0",
    message: "required-version '>=99' (/ws/pyproject.toml) is not satisfied by lime-task-lint 0.1.0",
  };

  test("the server's params are read, anything else is ignored", () => {
    assert.deepStrictEqual(parseMismatch(params), params);
    assert.strictEqual(parseMismatch({ ...params, configFile: null })?.configFile, null);
    assert.strictEqual(parseMismatch(null), undefined);
    assert.strictEqual(parseMismatch({ requiredVersion: 5 }), undefined);
  });

  test("the message names the requirement, the file, the bundled version and the way out", () => {
    const text = mismatchMessage(parseMismatch(params)!);
    assert.match(text, />=99/);
    assert.match(text, /\/ws\/pyproject\.toml/);
    assert.match(text, /bundled server is 0\.1\.0/);
    assert.match(text, /"limeTaskLint\.importStrategy" to "fromEnvironment"/);
  });

  test("popped up with the bundle unless showNotifications is off, once per configuration file", () => {
    const none = new Set<string>();
    assert.strictEqual(shouldPopUpVersionMismatch("useBundled", "off", "/ws/pyproject.toml", none), false);
    assert.strictEqual(shouldPopUpVersionMismatch("useBundled", undefined, "/ws/pyproject.toml", none), false);
    for (const level of ["onError", "onWarning", "always"]) {
      assert.strictEqual(shouldPopUpVersionMismatch("useBundled", level, "/ws/pyproject.toml", none), true, level);
    }
    assert.strictEqual(shouldPopUpVersionMismatch("useBundled", "always", "/ws/pyproject.toml", new Set(["/ws/pyproject.toml"])), false);
    assert.strictEqual(shouldPopUpVersionMismatch("useBundled", "always", "/ws/other/pyproject.toml", new Set(["/ws/pyproject.toml"])), true);
  });

  test("never popped up when the environment's own server already runs", () => {
    assert.strictEqual(shouldPopUpVersionMismatch("fromEnvironment", "always", "/ws/pyproject.toml", new Set()), false);
  });

  test("the client declares that it shows the warning itself, keeping other experimental capabilities", () => {
    const capabilities: { experimental?: unknown } = { experimental: { other: 1, limeTaskLint: { x: true } } };
    declareRequiredVersionNotification(capabilities);
    assert.deepStrictEqual(capabilities.experimental, { other: 1, limeTaskLint: { x: true, requiredVersionNotification: true } });
    const empty: { experimental?: unknown } = {};
    declareRequiredVersionNotification(empty);
    assert.deepStrictEqual(empty.experimental, { limeTaskLint: { requiredVersionNotification: true } });
  });
});

suite("CrashRestarts", () => {
  test("allows four restarts within three minutes, then none until the oldest is older", () => {
    const restarts = new CrashRestarts(4, 180_000);
    assert.deepStrictEqual([0, 1_000, 2_000, 3_000].map((t) => restarts.allow(t)), [true, true, true, true]);
    assert.strictEqual(restarts.allow(4_000), false);
    assert.strictEqual(restarts.allow(180_500), true); // only the one at 0 ms has left the window
    assert.strictEqual(restarts.allow(180_600), false);
  });
});
