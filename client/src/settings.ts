// The settings sent to the server. Pure: the configuration getter is injected.
// The server owns their meaning and validation; the client only forwards them
// per workspace folder (the server also pulls `workspace/configuration` with each
// folder's scopeUri, and the project's pyproject `[tool.lime-task-lint]` wins).

export const SECTION = "limeTaskLint";

/** Every server setting with its default (the same names as in package.json). */
export const SERVER_SETTING_DEFAULTS = {
  select: ["LIME"] as string[],
  ignore: [] as string[],
  perFileIgnores: {} as Record<string, string[]>,
  exclude: [] as string[],
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
  logLevel: "info" as "error" | "warning" | "info" | "debug",
  codeLens: true,
};

export type ServerSettings = typeof SERVER_SETTING_DEFAULTS;
export type ServerSettingKey = keyof ServerSettings;
export const SERVER_SETTING_KEYS = Object.keys(SERVER_SETTING_DEFAULTS) as ServerSettingKey[];

/** Client-only settings (never sent as server settings). */
export const CLIENT_ONLY_KEYS = ["interpreter"] as const;

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

/** `initializationOptions = { settings: { [folderUri]: {...} }, globalSettings: {...} }`. */
export function buildInitializationOptions(folders: FolderScope[], globalGet: SettingGetter): InitializationOptions {
  const settings: Record<string, ServerSettings> = {};
  for (const folder of folders) {
    settings[folder.uri] = readServerSettings(folder.get);
  }
  return { settings, globalSettings: readServerSettings(globalGet) };
}

function clone<T>(value: T): T {
  return value !== null && typeof value === "object" ? (JSON.parse(JSON.stringify(value)) as T) : value;
}
