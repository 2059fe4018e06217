// How the server process is started: which `lime_task_lint` it imports (the one
// bundled in the extension, or the one installed in the interpreter's own
// environment: `limeTaskLint.importStrategy`, as in vscode-pylint and
// ruff-vscode) and so its command line and environment. Pure logic: the probe of
// the environment is run by python.ts and its output handed in here.
import { InspectedSetting } from "./interpreter";

export const SERVER_MODULE = "lime_task_lint";

export type ImportStrategy = "useBundled" | "fromEnvironment";
export const IMPORT_STRATEGIES: readonly ImportStrategy[] = ["useBundled", "fromEnvironment"];
export const DEFAULT_IMPORT_STRATEGY: ImportStrategy = "useBundled";

/** A known strategy, else the default (a typo must not stop the server). */
export function normaliseImportStrategy(value: unknown): ImportStrategy {
  return IMPORT_STRATEGIES.find((s) => s === value) ?? DEFAULT_IMPORT_STRATEGY;
}

/**
 * `limeTaskLint.importStrategy` to use. `fromEnvironment` runs code installed in
 * an environment, so in an untrusted workspace only the user's own (global) value
 * counts, as for `limeTaskLint.interpreter`.
 */
export function pickImportStrategy(inspected: InspectedSetting<unknown> | undefined, trusted: boolean): ImportStrategy {
  if (!inspected) {
    return DEFAULT_IMPORT_STRATEGY;
  }
  const layers = trusted
    ? [inspected.workspaceFolderValue, inspected.workspaceValue, inspected.globalValue]
    : [inspected.globalValue];
  const chosen = layers.find((layer) => layer !== undefined);
  return normaliseImportStrategy(chosen ?? inspected.defaultValue);
}

/** What the interpreter's environment holds of the server, from INSTALLED_PROBE_SCRIPT. */
export type InstalledServer =
  | { found: true; version: string; location: string }
  | { found: false; missing: string[] };

/**
 * Run as `python -c` with the server's own environment (no bundled libs): prints
 * `found <version>` and the package's location, or `missing <module>...`. It only
 * looks the modules up (importlib.util.find_spec), it imports none of them.
 */
export const INSTALLED_PROBE_SCRIPT = [
  "import importlib.util as u",
  `missing = [m for m in ('${SERVER_MODULE}', 'pygls', 'lsprotocol', 'jedi', 'radon') if u.find_spec(m) is None]`,
  "if missing:",
  "    print('missing ' + ' '.join(missing))",
  "else:",
  "    try:",
  "        from importlib.metadata import version",
  "        v = version('lime-task-lint')",
  "    except Exception:",
  "        v = 'unknown'",
  "    print('found ' + v)",
  `    print(u.find_spec('${SERVER_MODULE}').origin)`,
].join("\n");

export function parseInstalledProbe(stdout: string): InstalledServer {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const [word, ...rest] = (lines[0] ?? "").split(/\s+/);
  if (word === "missing" && rest.length > 0) {
    return { found: false, missing: rest };
  }
  if (word === "found" && rest.length === 1) {
    return { found: true, version: rest[0], location: lines[1] ?? "" };
  }
  throw new Error(`unexpected output from the lime_task_lint lookup: ${JSON.stringify(stdout.slice(0, 200))}`);
}

export interface ServerLaunch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** The strategy in effect (fromEnvironment falls back to the bundle). */
  strategy: ImportStrategy;
  /** Log lines: what was chosen and, after a fall-back, why. */
  notes: string[];
}

export interface LaunchInputs {
  /** The interpreter command (an executable plus optional leading arguments). */
  interpreter: string[];
  requested: ImportStrategy;
  extensionPath: string;
  /**
   * What the environment holds (fromEnvironment only): the probe's result, or the
   * reason it could not be run.
   */
  installed?: InstalledServer | { error: string };
  baseEnv: NodeJS.ProcessEnv;
  /** path.delimiter of the platform (":" or ";"). */
  delimiter: string;
  /** path.join of the platform. */
  join: (...parts: string[]) => string;
}

/**
 * The environment the server (and INSTALLED_PROBE_SCRIPT) runs with for a strategy.
 * Bundled: the extension's libs and server first on PYTHONPATH, before
 * site-packages, and no user site, so the environment never supplies (or breaks)
 * pygls and friends. From the environment: no PYTHONPATH at all, so what the
 * interpreter imports is what `python -m lime_task_lint` imports in a terminal.
 */
export function serverEnvironment(
  strategy: ImportStrategy,
  inputs: Pick<LaunchInputs, "extensionPath" | "baseEnv" | "delimiter" | "join">,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...inputs.baseEnv,
    // Neither the extension's folder (the cwd) nor the user's workspace can shadow a module.
    PYTHONSAFEPATH: "1",
    PYTHONUNBUFFERED: "1",
    PYTHONIOENCODING: "utf-8",
  };
  delete env.PYTHONPATH;
  delete env.PYTHONNOUSERSITE;
  if (strategy === "useBundled") {
    env.PYTHONPATH = bundledPythonPath(inputs);
    env.PYTHONNOUSERSITE = "1";
  }
  return env;
}

export function bundledPythonPath(inputs: Pick<LaunchInputs, "extensionPath" | "delimiter" | "join">): string {
  return [inputs.join(inputs.extensionPath, "bundled", "libs"), inputs.join(inputs.extensionPath, "server")].join(
    inputs.delimiter,
  );
}

/** The command line and environment of the server for the requested strategy. */
export function buildServerLaunch(inputs: LaunchInputs): ServerLaunch {
  const notes: string[] = [];
  let strategy: ImportStrategy = "useBundled";
  if (inputs.requested === "fromEnvironment") {
    const installed = inputs.installed;
    const shown = inputs.interpreter.join(" ");
    if (installed && "found" in installed && installed.found) {
      strategy = "fromEnvironment";
      notes.push(`importStrategy fromEnvironment: lime-task-lint ${installed.version} installed for ${shown} (${installed.location})`);
    } else {
      const why = !installed
        ? "the environment was not looked at"
        : "error" in installed
          ? `looking for it failed: ${installed.error}`
          : `${installed.missing.join(", ")} not installed there`;
      notes.push(`importStrategy fromEnvironment: ${shown} cannot run its own lime_task_lint (${why}); ` +
        "using the bundled server. Install lime-task-lint in that environment (pip install lime-task-lint) " +
        "and run \"Lime Task Lint: Restart server\".");
    }
  } else {
    notes.push("importStrategy useBundled: the server and its libraries bundled in the extension");
  }
  return {
    command: inputs.interpreter[0],
    args: [...inputs.interpreter.slice(1), "-m", SERVER_MODULE],
    env: serverEnvironment(strategy, inputs),
    strategy,
    notes,
  };
}

export type ShowNotifications = "off" | "onError" | "onWarning" | "always";

/**
 * Whether the client pops up the server's report that a project's
 * `required-version` is not satisfied. Only when the bundled server runs (with
 * fromEnvironment the project's own installation is already in use, and the log
 * says which), only once per configuration file, and not when `showNotifications`
 * is `off`: the CLI refuses to run in this case, so it counts as an error.
 */
export function shouldPopUpVersionMismatch(
  strategy: ImportStrategy,
  showNotifications: unknown,
  configFile: string,
  alreadyShown: ReadonlySet<string>,
): boolean {
  const level = typeof showNotifications === "string" ? showNotifications : "off";
  return strategy === "useBundled" && ["onError", "onWarning", "always"].includes(level) && !alreadyShown.has(configFile);
}

export interface RequiredVersionMismatch {
  uri?: string;
  configFile: string | null;
  requiredVersion: string;
  serverVersion: string;
  message: string;
}

/** The server's `limeTaskLint/requiredVersionMismatch` params, or undefined when they are not that shape. */
export function parseMismatch(params: unknown): RequiredVersionMismatch | undefined {
  if (params === null || typeof params !== "object") {
    return undefined;
  }
  const p = params as Record<string, unknown>;
  if (typeof p.requiredVersion !== "string" || typeof p.serverVersion !== "string" || typeof p.message !== "string") {
    return undefined;
  }
  return {
    uri: typeof p.uri === "string" ? p.uri : undefined,
    configFile: typeof p.configFile === "string" ? p.configFile : null,
    requiredVersion: p.requiredVersion,
    serverVersion: p.serverVersion,
    message: p.message,
  };
}

/** The pop-up's text: what is wrong and what the user can do. */
export function mismatchMessage(m: RequiredVersionMismatch): string {
  const where = m.configFile ? ` in ${m.configFile}` : "";
  return `Lime Task Lint: the project requires lime-task-lint ${m.requiredVersion}${where}, ` +
    `but the bundled server is ${m.serverVersion}. Install a matching lime-task-lint in the project's ` +
    `environment and set "limeTaskLint.importStrategy" to "fromEnvironment" to use it.`;
}

/** The server's notification for a project whose `required-version` it does not satisfy. */
export const REQUIRED_VERSION_NOTIFICATION = "limeTaskLint/requiredVersionMismatch";

/**
 * Declares (in `capabilities.experimental.limeTaskLint`) that this client shows
 * the required-version warning itself: the server then sends
 * REQUIRED_VERSION_NOTIFICATION instead of its own pop-up, so the user never gets two.
 */
export function declareRequiredVersionNotification(capabilities: { experimental?: unknown }): void {
  const experimental =
    capabilities.experimental !== null && typeof capabilities.experimental === "object"
      ? (capabilities.experimental as Record<string, unknown>)
      : {};
  const ours = experimental.limeTaskLint !== null && typeof experimental.limeTaskLint === "object"
    ? (experimental.limeTaskLint as Record<string, unknown>)
    : {};
  capabilities.experimental = { ...experimental, limeTaskLint: { ...ours, requiredVersionNotification: true } };
}

/**
 * How often a server that exits on its own is started again: like
 * vscode-languageclient's default (at most `max` restarts within `windowMs`),
 * but counted here because the extension restarts it itself, through the same
 * serialized path as the Restart command (two clients racing to restart one
 * server left neither running).
 */
export class CrashRestarts {
  private readonly times: number[] = [];

  constructor(private readonly max = 4, private readonly windowMs = 3 * 60 * 1000) {}

  /** Whether one more restart is allowed at `now` (ms); counts it when it is. */
  allow(now: number): boolean {
    while (this.times.length && now - this.times[0] > this.windowMs) {
      this.times.shift();
    }
    if (this.times.length >= this.max) {
      return false;
    }
    this.times.push(now);
    return true;
  }
}
