// The settings sent to the server. Pure: the configuration getter is injected.
// The server owns their meaning and validation; the client only forwards them
// per workspace folder (the server also pulls `workspace/configuration` with each
// folder's scopeUri, and the project's pyproject `[tool.lime-task-lint]` wins).

export const SECTION = "limeTaskLint";

export type ServerLogLevel = "error" | "warning" | "info" | "debug";

/** Every server setting with its default (the same names as in package.json). */
export const SERVER_SETTING_DEFAULTS = {
  select: ["LIME"] as string[],
  ignore: [] as string[],
  extendSelect: [] as string[],
  extendIgnore: [] as string[],
  severity: {} as Record<string, "error" | "warning" | "information" | "hint" | "off">,
  perFileIgnores: {} as Record<string, string[]>,
  exclude: [] as string[],
  extendExclude: [] as string[],
  respectGitignore: true,
  batchSize: 50,
  memoryBudgetMb: 200,
  docstringStyle: "google" as "google" | "numpy" | "sphinx",
  objectCounts: {} as Record<string, number>,
  defaultObjectCount: 100000,
  objectSizeKb: {} as Record<string, number>,
  defaultObjectSizeKb: 1.0,
  targetVersion: "" as "" | "py310" | "py311" | "py312" | "py313" | "py314",
  maxComplexity: 10,
  unsafeFixes: false,
  debounceMs: 300,
  readLatencyMs: 5,
  commitLatencyMs: 25,
  externalCallLatencyMs: 150,
  perObjectMs: 0.05,
  writePerObjectMs: 2,
  relations: {} as Record<string, string>,
  prefetchChunkSize: 1000,
  logLevel: "info" as ServerLogLevel,
  codeLens: true,
  enable: true,
  fixAll: true,
  showNotifications: "off" as "off" | "onError" | "onWarning" | "always",
  run: "onType" as "onType" | "onSave",
  lintLibraryFiles: false,
};

export type ServerSettings = typeof SERVER_SETTING_DEFAULTS;
export type ServerSettingKey = keyof ServerSettings;
export const SERVER_SETTING_KEYS = Object.keys(SERVER_SETTING_DEFAULTS) as ServerSettingKey[];

/** Client-only settings (never sent as server settings). */
export const CLIENT_ONLY_KEYS = ["interpreter", "importStrategy"] as const;

/** Reads `limeTaskLint.<key>` for one scope (a folder, or the window). */
export type SettingGetter = <K extends ServerSettingKey>(key: K) => ServerSettings[K] | undefined;

export function readServerSettings(get: SettingGetter): ServerSettings {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_SETTING_KEYS) {
    const value = get(key);
    out[key] = value === undefined ? clone(SERVER_SETTING_DEFAULTS[key]) : value;
  }
  return out as ServerSettings;
}

export interface FolderScope {
  /** The folder's URI as a string (`file:///...`). */
  uri: string;
  get: SettingGetter;
}

export interface InitializationOptions {
  settings: Record<string, ServerSettings>;
  globalSettings: ServerSettings;
}

/**
 * `initializationOptions = { settings: { [folderUri]: {...} }, globalSettings: {...} }`.
 * `logLevel` (window-scoped) is the effective one, the same in every scope.
 */
export function buildInitializationOptions(
  folders: FolderScope[],
  globalGet: SettingGetter,
  logLevel?: ServerLogLevel,
): InitializationOptions {
  const read = (get: SettingGetter) => {
    const values = readServerSettings(get);
    return logLevel ? { ...values, logLevel } : values;
  };
  const settings: Record<string, ServerSettings> = {};
  for (const folder of folders) {
    settings[folder.uri] = read(folder.get);
  }
  return { settings, globalSettings: read(globalGet) };
}

function clone<T>(value: T): T {
  return value !== null && typeof value === "object" ? (JSON.parse(JSON.stringify(value)) as T) : value;
}

/** `vscode.LogLevel` values (Off, Trace, Debug, Info, Warning, Error), so this module needs no vscode import. */
export const CHANNEL_LOG_LEVEL = { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 } as const;

/** What `inspect("logLevel")` says about where the setting is set. */
export interface LogLevelInspect {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/**
 * The server's log level. `limeTaskLint.logLevel`, when the user set it anywhere,
 * wins; otherwise it follows the output channel's level (*Developer: Set Log
 * Level… → Lime Task Lint*), so lowering the channel to Debug also makes the server
 * log debug records. Trace maps to debug; Off to error.
 */
export function effectiveLogLevel(inspect: LogLevelInspect | undefined, channelLevel: number): ServerLogLevel {
  const explicit = inspect?.workspaceFolderValue ?? inspect?.workspaceValue ?? inspect?.globalValue;
  if (explicit === "error" || explicit === "warning" || explicit === "info" || explicit === "debug") {
    return explicit;
  }
  if (channelLevel === CHANNEL_LOG_LEVEL.Trace || channelLevel === CHANNEL_LOG_LEVEL.Debug) {
    return "debug";
  }
  if (channelLevel === CHANNEL_LOG_LEVEL.Warning) {
    return "warning";
  }
  if (channelLevel === CHANNEL_LOG_LEVEL.Error || channelLevel === CHANNEL_LOG_LEVEL.Off) {
    return "error";
  }
  return "info";
}

/**
 * The answer to the server's `workspace/configuration` request with the effective
 * log level put into every `limeTaskLint` section (the editor alone would send the
 * setting's default, not the channel's level). Other sections and non-object
 * answers are passed through unchanged.
 */
export function withLogLevel(items: { section?: string }[], results: unknown[], level: ServerLogLevel): unknown[] {
  return results.map((result, i) =>
    items[i]?.section === SECTION && result !== null && typeof result === "object" && !Array.isArray(result)
      ? { ...(result as Record<string, unknown>), logLevel: level }
      : result,
  );
}
