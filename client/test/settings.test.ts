import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
  buildInitializationOptions,
  CHANNEL_LOG_LEVEL,
  CLIENT_ONLY_KEYS,
  effectiveLogLevel,
  withLogLevel,
  readServerSettings,
  SERVER_SETTING_DEFAULTS,
  SERVER_SETTING_KEYS,
  SettingGetter,
} from "../src/settings";

const manifestPath = path.resolve(__dirname, "..", "..", "..", "..", "package.json");
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const manifest: any = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
const properties: Record<string, { default: unknown; scope?: string; markdownDescription?: string; description?: string; enum?: unknown[] }> =
  manifest.contributes.configuration.properties;

function getter(values: Record<string, unknown>): SettingGetter {
  return ((key: string) => values[key]) as SettingGetter;
}

suite("settings sent to the server", () => {
  test("defaults fill every unset key", () => {
    const s = readServerSettings(getter({}));
    assert.deepStrictEqual(s, SERVER_SETTING_DEFAULTS);
    s.select.push("X");
    assert.deepStrictEqual(SERVER_SETTING_DEFAULTS.select, ["LIME"], "defaults are copied, not shared");
  });

  test("each workspace folder gets its own settings", () => {
    const opts = buildInitializationOptions(
      [
        { uri: "file:///ws/a", get: getter({ select: ["LIME1"], batchSize: 10 }) },
        { uri: "file:///ws/b", get: getter({ ignore: ["LIME104"], docstringStyle: "numpy" }) },
      ],
      getter({ logLevel: "debug" }),
    );
    assert.deepStrictEqual(Object.keys(opts.settings), ["file:///ws/a", "file:///ws/b"]);
    assert.deepStrictEqual(opts.settings["file:///ws/a"].select, ["LIME1"]);
    assert.strictEqual(opts.settings["file:///ws/a"].batchSize, 10);
    assert.deepStrictEqual(opts.settings["file:///ws/a"].ignore, []);
    assert.deepStrictEqual(opts.settings["file:///ws/b"].ignore, ["LIME104"]);
    assert.strictEqual(opts.settings["file:///ws/b"].docstringStyle, "numpy");
    assert.strictEqual(opts.settings["file:///ws/b"].batchSize, 50);
    assert.strictEqual(opts.globalSettings.logLevel, "debug");
  });

  test("no folder: only globalSettings", () => {
    const opts = buildInitializationOptions([], getter({}));
    assert.deepStrictEqual(opts.settings, {});
    assert.strictEqual(opts.globalSettings.debounceMs, 300);
  });

  test("the interpreter is never sent as a server setting", () => {
    const s = readServerSettings(getter({ interpreter: ["/x"] }));
    assert.ok(!("interpreter" in s));
  });
});

suite("per-folder control settings", () => {
  test("enable, fixAll, showNotifications, run and lintLibraryFiles are sent per folder", () => {
    const opts = buildInitializationOptions(
      [
        { uri: "file:///ws/on", get: getter({}) },
        { uri: "file:///ws/off", get: getter({ enable: false, fixAll: false, run: "onSave", showNotifications: "onError", lintLibraryFiles: true }) },
      ],
      getter({}),
    );
    const on = opts.settings["file:///ws/on"];
    const off = opts.settings["file:///ws/off"];
    assert.deepStrictEqual(
      [on.enable, on.fixAll, on.run, on.showNotifications, on.lintLibraryFiles],
      [true, true, "onType", "off", false],
      "defaults",
    );
    assert.deepStrictEqual(
      [off.enable, off.fixAll, off.run, off.showNotifications, off.lintLibraryFiles],
      [false, false, "onSave", "onError", true],
    );
  });
});

suite("log level", () => {
  test("an explicit limeTaskLint.logLevel wins over the channel's level", () => {
    assert.strictEqual(effectiveLogLevel({ globalValue: "error" }, CHANNEL_LOG_LEVEL.Debug), "error");
    assert.strictEqual(effectiveLogLevel({ globalValue: "debug" }, CHANNEL_LOG_LEVEL.Error), "debug");
    assert.strictEqual(effectiveLogLevel({ globalValue: "error", workspaceValue: "warning" }, CHANNEL_LOG_LEVEL.Info), "warning");
  });

  test("unset, the server follows the output channel's level", () => {
    const cases: [number, string][] = [
      [CHANNEL_LOG_LEVEL.Trace, "debug"],
      [CHANNEL_LOG_LEVEL.Debug, "debug"],
      [CHANNEL_LOG_LEVEL.Info, "info"],
      [CHANNEL_LOG_LEVEL.Warning, "warning"],
      [CHANNEL_LOG_LEVEL.Error, "error"],
      [CHANNEL_LOG_LEVEL.Off, "error"],
    ];
    for (const [channel, expected] of cases) {
      assert.strictEqual(effectiveLogLevel({}, channel), expected, `channel level ${channel}`);
      assert.strictEqual(effectiveLogLevel(undefined, channel), expected);
    }
  });

  test("a value the server does not know is not sent; the channel's level is", () => {
    assert.strictEqual(effectiveLogLevel({ globalValue: "verbose" }, CHANNEL_LOG_LEVEL.Warning), "warning");
  });

  test("the level goes into every scope of the initialization options", () => {
    const opts = buildInitializationOptions(
      [{ uri: "file:///ws/a", get: getter({ logLevel: "info", batchSize: 7 }) }],
      getter({}),
      "debug",
    );
    assert.strictEqual(opts.globalSettings.logLevel, "debug");
    assert.strictEqual(opts.settings["file:///ws/a"].logLevel, "debug");
    assert.strictEqual(opts.settings["file:///ws/a"].batchSize, 7, "other settings untouched");
  });

  test("workspace/configuration answers carry the level in limeTaskLint sections only", () => {
    const items = [{ section: "limeTaskLint" }, { section: "python" }, { section: "limeTaskLint" }, { section: "limeTaskLint" }];
    const results = [{ logLevel: "info", select: ["LIME1"] }, { logLevel: "x" }, null, ["odd"]];
    const out = withLogLevel(items, results, "error");
    assert.deepStrictEqual(out, [{ logLevel: "error", select: ["LIME1"] }, { logLevel: "x" }, null, ["odd"]]);
    assert.deepStrictEqual(results[0], { logLevel: "info", select: ["LIME1"] }, "the editor's answer is not mutated");
  });
});

suite("package.json manifest", () => {
  test("contributes exactly the server settings plus the client-only ones", () => {
    const declared = Object.keys(properties).map((k) => k.replace(/^limeTaskLint\./, "")).sort();
    assert.deepStrictEqual(declared, [...SERVER_SETTING_KEYS, ...CLIENT_ONLY_KEYS].sort());
  });

  test("manifest defaults equal the client's defaults", () => {
    for (const key of SERVER_SETTING_KEYS) {
      assert.deepStrictEqual(properties[`limeTaskLint.${key}`].default, SERVER_SETTING_DEFAULTS[key], key);
    }
  });

  test("every setting is documented with a scope", () => {
    for (const [key, prop] of Object.entries(properties)) {
      assert.ok((prop.markdownDescription ?? prop.description ?? "").length > 20, `${key} has a description`);
      assert.ok(prop.scope, `${key} has a scope`);
      assert.ok("default" in prop, `${key} has a default`);
    }
    assert.deepStrictEqual(properties["limeTaskLint.docstringStyle"].enum, ["google", "numpy", "sphinx"]);
    assert.deepStrictEqual(properties["limeTaskLint.targetVersion"].enum, ["", "py310", "py311", "py312", "py313", "py314"]);
    assert.deepStrictEqual(properties["limeTaskLint.logLevel"].enum, ["error", "warning", "info", "debug"]);
    assert.strictEqual(properties["limeTaskLint.interpreter"].scope, "machine-overridable");
    // One server serves the window: its import strategy is not per folder.
    assert.deepStrictEqual(properties["limeTaskLint.importStrategy"].enum, ["useBundled", "fromEnvironment"]);
    assert.strictEqual(properties["limeTaskLint.importStrategy"].default, "useBundled");
    assert.strictEqual(properties["limeTaskLint.importStrategy"].scope, "window");
    assert.deepStrictEqual(properties["limeTaskLint.showNotifications"].enum, ["off", "onError", "onWarning", "always"]);
    assert.deepStrictEqual(properties["limeTaskLint.run"].enum, ["onType", "onSave"]);
    // enable is per folder: a folder's .vscode/settings.json can switch the linter off there.
    assert.strictEqual(properties["limeTaskLint.enable"].scope, "resource");
  });

  test("identity, activation, serverInfo and restricted mode", () => {
    assert.strictEqual(manifest.name, "lime-task-lint");
    assert.strictEqual(manifest.publisher, "lime-task-lint");
    assert.strictEqual(manifest.displayName, "Lime Task Lint");
    assert.ok(manifest.activationEvents.includes("onLanguage:python"));
    assert.deepStrictEqual(manifest.serverInfo, { name: "Lime Task Lint", module: "lime_task_lint" });
    assert.strictEqual(manifest.capabilities.untrustedWorkspaces.supported, "limited");
    assert.deepStrictEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, [
      "limeTaskLint.interpreter",
      "limeTaskLint.importStrategy",
    ]);
    assert.strictEqual(manifest.main, "./out/extension.js");
  });

  test("all five commands, in the Lime Task Lint category", () => {
    const commands = manifest.contributes.commands as { command: string; title: string; category: string }[];
    assert.deepStrictEqual(commands.map((c) => c.command).sort(), [
      "limeTaskLint.fixAll",
      "limeTaskLint.generateDocstring",
      "limeTaskLint.restart",
      "limeTaskLint.showBudgetReport",
      "limeTaskLint.showLogs",
    ]);
    for (const c of commands) {
      assert.strictEqual(c.category, "Lime Task Lint");
    }
  });
});

suite("docs/extension.md", () => {
  const docs = fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "..", "docs", "extension.md"), "utf8");

  test("the settings table lists every setting with its default", () => {
    for (const [key, prop] of Object.entries(properties)) {
      const name = key.replace(/^limeTaskLint\./, "");
      const row = docs.split("\n").find((l) => l.startsWith(`| \`${name}\` |`));
      assert.ok(row, `a row for ${name}`);
      assert.ok(row.includes(`\`${JSON.stringify(prop.default)}\``), `${name}'s default in: ${row}`);
    }
  });

  test("every command is documented", () => {
    for (const c of manifest.contributes.commands as { title: string }[]) {
      assert.ok(docs.includes(`Lime Task Lint: ${c.title}`), c.title);
    }
  });
});
