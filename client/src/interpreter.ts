// Finding the Python that runs the bundled server. Pure logic: every lookup
// (settings, the Python extension, PATH, running the interpreter) is injected,
// so the order and the messages are unit-tested without VS Code.

export const MIN_PYTHON: readonly [number, number] = [3, 10];

export type InterpreterSource = "setting" | "python-extension" | "path";

export interface PythonVersion {
  major: number;
  minor: number;
  micro: number;
}

export interface ProbeResult {
  version: PythonVersion;
  /** sys.executable as reported by the interpreter itself. */
  executable: string;
}

export interface InterpreterLookups {
  /** `limeTaskLint.interpreter` after the trust filter; [] when unset. */
  setting: string[];
  /** Active environment's executable from the Python extension, if installed. */
  pythonExtension(): Promise<string | undefined>;
  /** Absolute path of a command on PATH, or undefined. */
  which(command: string): Promise<string | undefined>;
  /** Runs `command... -c <probe>`; throws (with a message) when it cannot run. */
  probe(command: string[]): Promise<ProbeResult>;
}

export interface ResolvedInterpreter {
  ok: true;
  /** The command to run (an executable plus optional leading arguments). */
  command: string[];
  source: InterpreterSource;
  version: PythonVersion;
  executable: string;
  /** Candidates tried before this one and why they were skipped. */
  skipped: string[];
}

export interface InterpreterError {
  ok: false;
  /** One user-facing message that says what to do. */
  message: string;
  skipped: string[];
}

/** The script handed to `python -c`: prints "major.minor.micro" then sys.executable. */
export const PROBE_SCRIPT =
  "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.executable)";

export function parseProbeOutput(stdout: string): ProbeResult {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(lines[0] ?? "");
  if (!m) {
    throw new Error(`unexpected output from the version check: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  return {
    version: { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3]) },
    executable: lines[1] ?? "",
  };
}

export function isSupported(v: PythonVersion): boolean {
  return v.major > MIN_PYTHON[0] || (v.major === MIN_PYTHON[0] && v.minor >= MIN_PYTHON[1]);
}

export function formatVersion(v: PythonVersion): string {
  return `${v.major}.${v.minor}.${v.micro}`;
}

/** Normalises the setting's value (string, string[] or anything a user typed). */
export function normaliseInterpreterSetting(value: unknown): string[] {
  if (typeof value === "string") {
    return value.trim() ? [value.trim()] : [];
  }
  if (Array.isArray(value)) {
    return value.filter((x): x is string => typeof x === "string").map((x) => x.trim()).filter((x) => x.length > 0);
  }
  return [];
}

export interface InspectedSetting<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/**
 * The interpreter setting to use. In an untrusted workspace only the user's own
 * (global) value counts: a cloned repository must not choose the program we run.
 */
export function pickInterpreterSetting(inspected: InspectedSetting<unknown> | undefined, trusted: boolean): string[] {
  if (!inspected) {
    return [];
  }
  const layers = trusted
    ? [inspected.workspaceFolderValue, inspected.workspaceValue, inspected.globalValue, inspected.defaultValue]
    : [inspected.globalValue, inspected.defaultValue];
  for (const layer of layers) {
    if (layer !== undefined) {
      return normaliseInterpreterSetting(layer);
    }
  }
  return [];
}

/**
 * Expands `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~`
 * in each part of the interpreter setting.
 */
export function expandVariables(
  parts: string[],
  vars: { workspaceFolder?: string; userHome: string; env: Record<string, string | undefined> },
): string[] {
  return parts.map((part) => {
    let out = part.replace(/\$\{(workspaceFolder|userHome|env:([^}]+))\}/g, (whole, name: string, envName?: string) => {
      if (envName !== undefined) {
        return vars.env[envName] ?? "";
      }
      if (name === "workspaceFolder") {
        return vars.workspaceFolder ?? whole;
      }
      return vars.userHome;
    });
    if (out === "~" || out.startsWith("~/")) {
      out = vars.userHome + out.slice(1);
    }
    return out;
  });
}

const FIX_HINT =
  "Install Python 3.10 or newer, then select it with \"Python: Select Interpreter\" " +
  "or set \"limeTaskLint.interpreter\" to its path, and run \"Lime Task Lint: Restart server\".";

/**
 * Order: the explicit setting (and only it, when set: a wrong setting is reported,
 * not silently replaced), then the Python extension's active environment, then
 * `python3` (and `python`) on PATH. Each candidate is run once to check 3.10+.
 */
export async function resolveInterpreter(lookups: InterpreterLookups): Promise<ResolvedInterpreter | InterpreterError> {
  const skipped: string[] = [];

  const check = async (
    command: string[],
    source: InterpreterSource,
  ): Promise<ResolvedInterpreter | string> => {
    let probe: ProbeResult;
    try {
      probe = await lookups.probe(command);
    } catch (err) {
      return `${command.join(" ")} (${source}) could not be run: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (!isSupported(probe.version)) {
      return `${command.join(" ")} (${source}) is Python ${formatVersion(probe.version)}; 3.10 or newer is needed`;
    }
    return { ok: true, command, source, version: probe.version, executable: probe.executable, skipped };
  };

  if (lookups.setting.length > 0) {
    const r = await check(lookups.setting, "setting");
    if (typeof r !== "string") {
      return r;
    }
    skipped.push(r);
    return {
      ok: false,
      message: `Lime Task Lint: the interpreter in "limeTaskLint.interpreter" is not usable: ${r}. ` +
        "Point the setting to Python 3.10 or newer (or clear it to use the selected Python environment) " +
        "and run \"Lime Task Lint: Restart server\".",
      skipped,
    };
  }

  let fromExtension: string | undefined;
  try {
    fromExtension = await lookups.pythonExtension();
  } catch (err) {
    skipped.push(`Python extension lookup failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (fromExtension) {
    const r = await check([fromExtension], "python-extension");
    if (typeof r !== "string") {
      return r;
    }
    skipped.push(r);
  }

  for (const name of ["python3", "python"]) {
    const found = await lookups.which(name);
    if (!found) {
      skipped.push(`${name} not found on PATH`);
      continue;
    }
    const r = await check([found], "path");
    if (typeof r !== "string") {
      return r;
    }
    skipped.push(r);
  }

  return {
    ok: false,
    message: `Lime Task Lint: no Python 3.10 or newer found to run its language server. ${FIX_HINT}`,
    skipped,
  };
}
