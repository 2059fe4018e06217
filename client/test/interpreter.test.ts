import * as assert from "assert";
import {
  expandVariables,
  InterpreterLookups,
  normaliseInterpreterSetting,
  parseProbeOutput,
  pickInterpreterSetting,
  ProbeResult,
  PROBE_SCRIPT,
  resolveInterpreter,
} from "../src/interpreter";

/** Fake lookups: `pythons` maps a command (joined by spaces) to its version, or to an error. */
function lookups(opts: {
  setting?: string[];
  ext?: string | Error;
  path?: Record<string, string>;
  pythons?: Record<string, string | Error>;
}): InterpreterLookups & { probed: string[]; extAsked: number } {
  const probed: string[] = [];
  const out = {
    probed,
    extAsked: 0,
    setting: opts.setting ?? [],
    async pythonExtension() {
      out.extAsked++;
      if (opts.ext instanceof Error) {
        throw opts.ext;
      }
      return opts.ext;
    },
    async which(cmd: string) {
      return opts.path?.[cmd];
    },
    async probe(command: string[]): Promise<ProbeResult> {
      const key = command.join(" ");
      probed.push(key);
      const v = opts.pythons?.[key];
      if (v === undefined) {
        throw new Error("ENOENT");
      }
      if (v instanceof Error) {
        throw v;
      }
      return parseProbeOutput(`${v}\n${command[0]}\n`);
    },
  };
  return out;
}

suite("interpreter resolution", () => {
  test("the setting wins and nothing else is asked", async () => {
    const l = lookups({
      setting: ["/opt/py/bin/python"],
      ext: "/env/bin/python",
      path: { python3: "/usr/bin/python3" },
      pythons: { "/opt/py/bin/python": "3.12.1", "/env/bin/python": "3.11.0", "/usr/bin/python3": "3.11.2" },
    });
    const r = await resolveInterpreter(l);
    assert.ok(r.ok);
    assert.deepStrictEqual(r.command, ["/opt/py/bin/python"]);
    assert.strictEqual(r.source, "setting");
    assert.deepStrictEqual(r.version, { major: 3, minor: 12, micro: 1 });
    assert.strictEqual(l.extAsked, 0);
    assert.deepStrictEqual(l.probed, ["/opt/py/bin/python"]);
  });

  test("a setting with arguments is kept as a command", async () => {
    const l = lookups({ setting: ["/usr/bin/env", "python3.11"], pythons: { "/usr/bin/env python3.11": "3.11.4" } });
    const r = await resolveInterpreter(l);
    assert.ok(r.ok);
    assert.deepStrictEqual(r.command, ["/usr/bin/env", "python3.11"]);
  });

  test("a too old interpreter in the setting is reported, not replaced", async () => {
    const l = lookups({
      setting: ["/old/python"],
      path: { python3: "/usr/bin/python3" },
      pythons: { "/old/python": "3.8.18", "/usr/bin/python3": "3.11.2" },
    });
    const r = await resolveInterpreter(l);
    assert.ok(!r.ok);
    assert.match(r.message, /limeTaskLint\.interpreter/);
    assert.match(r.message, /3\.8\.18/);
    assert.match(r.message, /3\.10 or newer/);
    assert.deepStrictEqual(l.probed, ["/old/python"]);
  });

  test("a setting that cannot run is reported with the reason", async () => {
    const l = lookups({ setting: ["/nope/python"], pythons: { "/nope/python": new Error("spawn ENOENT") } });
    const r = await resolveInterpreter(l);
    assert.ok(!r.ok);
    assert.match(r.message, /could not be run: spawn ENOENT/);
  });

  test("without a setting the Python extension's environment is used", async () => {
    const l = lookups({
      ext: "/ws/.venv/bin/python",
      path: { python3: "/usr/bin/python3" },
      pythons: { "/ws/.venv/bin/python": "3.10.13", "/usr/bin/python3": "3.11.2" },
    });
    const r = await resolveInterpreter(l);
    assert.ok(r.ok);
    assert.strictEqual(r.source, "python-extension");
    assert.deepStrictEqual(r.command, ["/ws/.venv/bin/python"]);
  });

  test("a too old Python extension environment falls back to python3 on PATH", async () => {
    const l = lookups({
      ext: "/ws/.venv/bin/python",
      path: { python3: "/usr/bin/python3" },
      pythons: { "/ws/.venv/bin/python": "3.9.18", "/usr/bin/python3": "3.11.2" },
    });
    const r = await resolveInterpreter(l);
    assert.ok(r.ok);
    assert.strictEqual(r.source, "path");
    assert.deepStrictEqual(r.command, ["/usr/bin/python3"]);
    assert.strictEqual(r.skipped.length, 1);
    assert.match(r.skipped[0], /3\.9\.18/);
  });

  test("a failing Python extension API is skipped", async () => {
    const l = lookups({
      ext: new Error("API not ready"),
      path: { python3: "/usr/bin/python3" },
      pythons: { "/usr/bin/python3": "3.13.0" },
    });
    const r = await resolveInterpreter(l);
    assert.ok(r.ok);
    assert.strictEqual(r.source, "path");
    assert.match(r.skipped[0], /API not ready/);
  });

  test("python is tried when python3 is missing or too old", async () => {
    const l = lookups({
      path: { python3: "/usr/bin/python3", python: "/usr/local/bin/python" },
      pythons: { "/usr/bin/python3": "3.9.2", "/usr/local/bin/python": "3.12.0" },
    });
    const r = await resolveInterpreter(l);
    assert.ok(r.ok);
    assert.deepStrictEqual(r.command, ["/usr/local/bin/python"]);
  });

  test("no Python at all gives one message that says how to fix it", async () => {
    const l = lookups({});
    const r = await resolveInterpreter(l);
    assert.ok(!r.ok);
    assert.match(r.message, /no Python 3\.10 or newer found/);
    assert.match(r.message, /Python: Select Interpreter/);
    assert.match(r.message, /limeTaskLint\.interpreter/);
    assert.deepStrictEqual(r.skipped, ["python3 not found on PATH", "python not found on PATH"]);
  });

  test("Python 2 and 4.x are judged by the version, not by the name", async () => {
    const old = await resolveInterpreter(lookups({ path: { python3: "/p3" }, pythons: { "/p3": "2.7.18" } }));
    assert.ok(!old.ok);
    const future = await resolveInterpreter(lookups({ path: { python3: "/p3" }, pythons: { "/p3": "4.0.0" } }));
    assert.ok(future.ok);
  });
});

suite("interpreter probe output", () => {
  test("parses version and executable", () => {
    assert.deepStrictEqual(parseProbeOutput("3.11.7\r\n/usr/bin/python3\r\n"), {
      version: { major: 3, minor: 11, micro: 7 },
      executable: "/usr/bin/python3",
    });
  });

  test("rejects anything else", () => {
    assert.throws(() => parseProbeOutput("Python was not found; run without arguments to install"), /unexpected output/);
    assert.throws(() => parseProbeOutput(""), /unexpected output/);
  });
});

suite("interpreter setting", () => {
  test("string, list and junk are normalised", () => {
    assert.deepStrictEqual(normaliseInterpreterSetting(" /usr/bin/python3 "), ["/usr/bin/python3"]);
    assert.deepStrictEqual(normaliseInterpreterSetting(""), []);
    assert.deepStrictEqual(normaliseInterpreterSetting(["py", "-3.11", "", 7]), ["py", "-3.11"]);
    assert.deepStrictEqual(normaliseInterpreterSetting(undefined), []);
    assert.deepStrictEqual(normaliseInterpreterSetting({ path: "x" }), []);
  });

  test("trusted workspace: folder, then workspace, then user value", () => {
    const inspected = { defaultValue: [], globalValue: ["/user/py"], workspaceValue: ["/ws/py"], workspaceFolderValue: ["/folder/py"] };
    assert.deepStrictEqual(pickInterpreterSetting(inspected, true), ["/folder/py"]);
    assert.deepStrictEqual(pickInterpreterSetting({ ...inspected, workspaceFolderValue: undefined }, true), ["/ws/py"]);
  });

  test("untrusted workspace: workspace values are ignored", () => {
    const inspected = { defaultValue: [], globalValue: ["/user/py"], workspaceValue: ["./evil"], workspaceFolderValue: ["./evil"] };
    assert.deepStrictEqual(pickInterpreterSetting(inspected, false), ["/user/py"]);
    assert.deepStrictEqual(pickInterpreterSetting({ defaultValue: [], workspaceValue: "./evil" }, false), []);
    assert.deepStrictEqual(pickInterpreterSetting(undefined, false), []);
  });

  test("variables are expanded", () => {
    const vars = { workspaceFolder: "/ws", userHome: "/home/me", env: { PYENV: "/opt/pyenv" } };
    assert.deepStrictEqual(
      expandVariables(["${workspaceFolder}/.venv/bin/python", "~/py", "${userHome}/x", "${env:PYENV}/bin/python", "${env:NOPE}y"], vars),
      ["/ws/.venv/bin/python", "/home/me/py", "/home/me/x", "/opt/pyenv/bin/python", "y"],
    );
    assert.deepStrictEqual(expandVariables(["${workspaceFolder}/p"], { userHome: "/h", env: {} }), ["${workspaceFolder}/p"]);
  });
});

suite("interpreter probe against a real Python", () => {
  test("PROBE_SCRIPT prints what parseProbeOutput reads", function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawnSync } = require("child_process") as typeof import("child_process");
    const r = spawnSync("python3", ["-c", PROBE_SCRIPT], { encoding: "utf8" });
    if (r.error) {
      this.skip();
    }
    const parsed = parseProbeOutput(r.stdout);
    assert.strictEqual(parsed.version.major, 3);
    assert.ok(parsed.executable.length > 0);
  });
});
