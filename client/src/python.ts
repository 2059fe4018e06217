// The lookups that interpreter.ts gets injected with, on a real machine:
// the ms-python.python extension's API, PATH and running the interpreter.
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import { parseProbeOutput, ProbeResult, PROBE_SCRIPT } from "./interpreter";
import { INSTALLED_PROBE_SCRIPT, InstalledServer, parseInstalledProbe } from "./launch";

interface EnvironmentPath {
  id: string;
  path: string;
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri | vscode.WorkspaceFolder): EnvironmentPath;
    resolveEnvironment(env: EnvironmentPath | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<{ id: string; path: string; resource?: unknown }>;
  };
}

const PYTHON_EXTENSION_ID = "ms-python.python";

async function pythonApi(): Promise<PythonExtensionApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) {
    return undefined;
  }
  return ext.isActive ? ext.exports : await ext.activate();
}

export function hasPythonExtension(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

/** The executable of the Python extension's active environment for `resource`, if any. */
export async function activeEnvironmentExecutable(resource?: vscode.Uri): Promise<string | undefined> {
  const api = await pythonApi();
  const envs = api?.environments;
  if (!envs) {
    return undefined;
  }
  const envPath = envs.getActiveEnvironmentPath(resource);
  if (!envPath) {
    return undefined;
  }
  const env = await envs.resolveEnvironment(envPath);
  return env?.executable?.uri?.fsPath ?? undefined;
}

/** Calls `listener` when the user selects another environment. */
export async function onDidChangeActiveEnvironment(listener: () => void): Promise<vscode.Disposable | undefined> {
  const api = await pythonApi();
  return api?.environments?.onDidChangeActiveEnvironmentPath(() => listener());
}

export async function which(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const exts = process.platform === "win32" ? [".exe", ".cmd", ""] : [""];
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    for (const ext of exts) {
      const candidate = path.join(dir, command + ext);
      try {
        await fs.promises.access(candidate, fs.constants.X_OK);
        if ((await fs.promises.stat(candidate)).isFile()) {
          return candidate;
        }
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Runs the interpreter once to learn its version and sys.executable. */
export function probe(command: string[]): Promise<ProbeResult> {
  return runScript(command, PROBE_SCRIPT, { env: { ...process.env, PYTHONNOUSERSITE: "1" } }, parseProbeOutput);
}

/**
 * Asks the interpreter, with the environment and cwd the server would get under
 * importStrategy fromEnvironment, whether it has lime_task_lint and its libraries.
 */
export function probeInstalledServer(command: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<InstalledServer> {
  return runScript(command, INSTALLED_PROBE_SCRIPT, { env, cwd }, parseInstalledProbe);
}

function runScript<T>(
  command: string[],
  script: string,
  options: { env: NodeJS.ProcessEnv; cwd?: string },
  parse: (stdout: string) => T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      command[0],
      [...command.slice(1), "-c", script],
      { timeout: 20000, windowsHide: true, ...options },
      (err, stdout, stderr) => {
        if (err) {
          const detail = String(stderr || err.message).trim().split(/\r?\n/).slice(-1)[0];
          reject(new Error(detail));
          return;
        }
        try {
          resolve(parse(String(stdout)));
        } catch (e) {
          reject(e);
        }
      },
    );
  });
}
