import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import {
  buildInitializationOptions,
  CLIENT_ONLY_KEYS,
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
  });

  test("identity, activation, serverInfo and restricted mode", () => {
    assert.strictEqual(manifest.name, "lime-task-lint");
    assert.strictEqual(manifest.publisher, "lime-task-lint");
    assert.strictEqual(manifest.displayName, "Lime Task Lint");
    assert.ok(manifest.activationEvents.includes("onLanguage:python"));
    assert.deepStrictEqual(manifest.serverInfo, { name: "Lime Task Lint", module: "lime_task_lint" });
    assert.strictEqual(manifest.capabilities.untrustedWorkspaces.supported, "limited");
    assert.deepStrictEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ["limeTaskLint.interpreter"]);
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
