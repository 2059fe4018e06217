// Lime Task Lint: a thin client. It finds a Python, starts the bundled server
// (`python -m lime_task_lint`, stdio) and forwards settings and commands.
// All analysis happens in the server.
import * as os from "os";
import * as readline from "readline";
import * as path from "path";
import * as vscode from "vscode";
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  WorkspaceEdit as LspWorkspaceEdit,
} from "vscode-languageclient/node";
import {
  expandVariables,
  formatVersion,
  pickInterpreterSetting,
  ResolvedInterpreter,
  resolveInterpreter,
} from "./interpreter";
import {
  buildServerLaunch,
  CrashRestarts,
  declareRequiredVersionNotification,
  ImportStrategy,
  InstalledServer,
  mismatchMessage,
  parseMismatch,
  pickImportStrategy,
  REQUIRED_VERSION_NOTIFICATION,
  serverEnvironment,
  shouldPopUpVersionMismatch,
} from "./launch";
import * as python from "./python";
import { ServerStderr } from "./serverLog";
import { budgetReportHtml, missingCommandMessage, SERVER_COMMANDS, ServerCommand, serverCommands } from "./serverCommands";
import {
  buildInitializationOptions,
  effectiveLogLevel,
  SECTION,
  ServerLogLevel,
  ServerSettingKey,
  SettingGetter,
  withLogLevel,
} from "./settings";

const NAME = "Lime Task Lint";

let client: LanguageClient | undefined;
let log: vscode.LogOutputChannel;
let status: vscode.StatusBarItem;
let extensionPath: string;
let interpreter: ResolvedInterpreter | undefined;
/** The importStrategy in effect for the running server (after any fall-back). */
let strategy: ImportStrategy = "useBundled";
/** A required-version the running server does not satisfy (shown in the status bar's tooltip). */
let versionWarning: string | undefined;
/** Configuration files whose required-version warning was popped up in this window. */
const versionWarningsShown = new Set<string>();
/** Restarts of a server that exited on its own (see the client's errorHandler). */
const crashRestarts = new CrashRestarts();
/** Starts and stops run one after the other. */
let lifecycle: Promise<void> = Promise.resolve();

/** What other extensions (and the end-to-end tests) may ask. */
export interface LimeTaskLintApi {
  /** The server's workspace/executeCommand ids, [] while it is not running. */
  serverCommands(): string[];
  /** What the status bar shows. */
  serverState(): ServerState;
}

export async function activate(context: vscode.ExtensionContext): Promise<LimeTaskLintApi> {
  extensionPath = context.extensionPath;
  // vscode-languageclient 11 writes to the channel with .info/.error: it must be a LogOutputChannel.
  log = vscode.window.createOutputChannel(NAME, { log: true });
  status = vscode.window.createStatusBarItem("limeTaskLint.status", vscode.StatusBarAlignment.Right, 100);
  status.name = NAME;
  status.command = "limeTaskLint.showLogs";
  context.subscriptions.push(log, status);
  setStatus("starting");
  status.show();

  context.subscriptions.push(
    vscode.commands.registerCommand("limeTaskLint.restart", () => restart("Restart server command")),
    vscode.commands.registerCommand("limeTaskLint.showLogs", () => log.show()),
    vscode.commands.registerCommand(SERVER_COMMANDS.fixAll.client, fixAll),
    vscode.commands.registerCommand(SERVER_COMMANDS.generateDocstring.client, generateDocstring),
    vscode.commands.registerCommand(SERVER_COMMANDS.budgetReport.client, showBudgetReport),
    vscode.workspace.onDidChangeConfiguration((e) => {
      for (const key of ["interpreter", "importStrategy"]) {
        if (e.affectsConfiguration(`${SECTION}.${key}`)) {
          void restart(`limeTaskLint.${key} changed`);
          return;
        }
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => restart("workspace trusted")),
    // Unless limeTaskLint.logLevel is set, the server follows the channel's level:
    // tell it to pull its settings again (the answer carries the new level).
    log.onDidChangeLogLevel(() => {
      log.info(`Server log level: ${serverLogLevel()}`);
      if (client?.state === State.Running) {
        void client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
      }
    }),
  );

  try {
    const sub = await python.onDidChangeActiveEnvironment(() => {
      if (interpreter?.source !== "setting") {
        void restart("Python environment changed");
      }
    });
    if (sub) {
      context.subscriptions.push(sub);
    }
  } catch (err) {
    log.warn(`Could not watch the Python extension's environment: ${String(err)}`);
  }

  await restart("activation");
  return { serverCommands: () => serverCommands(client?.initializeResult), serverState: () => serverState };
}

export async function deactivate(): Promise<void> {
  await stopClient();
}

function restart(reason: string): Promise<void> {
  lifecycle = lifecycle.then(() => startServer(reason)).catch((err) => {
    setStatus("error", String(err));
    log.error(`Start failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  });
  return lifecycle;
}

async function stopClient(): Promise<void> {
  const old = client;
  client = undefined;
  if (!old) {
    return;
  }
  try {
    if (old.state !== State.Stopped) {
      await old.stop(3000);
    }
  } catch (err) {
    log.warn(`Stopping the server: ${String(err)}`);
  }
  try {
    await old.dispose(1000);
  } catch {
    // already gone
  }
}

async function findInterpreter(): Promise<ResolvedInterpreter | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const config = vscode.workspace.getConfiguration(SECTION, folder?.uri);
  const setting = expandVariables(pickInterpreterSetting(config.inspect("interpreter"), vscode.workspace.isTrusted), {
    workspaceFolder: folder?.uri.fsPath,
    userHome: os.homedir(),
    env: process.env,
  });
  const result = await resolveInterpreter({
    setting,
    pythonExtension: () => python.activeEnvironmentExecutable(folder?.uri),
    which: (cmd) => python.which(cmd),
    probe: python.probe,
  });
  for (const why of result.skipped) {
    log.info(`Interpreter candidate skipped: ${why}`);
  }
  if (!result.ok) {
    log.error(result.message);
    setStatus("error", "No usable Python 3.10+");
    void showInterpreterError(result.message);
    return undefined;
  }
  return result;
}

async function showInterpreterError(message: string): Promise<void> {
  const actions = python.hasPythonExtension() ? ["Select Interpreter", "Open Settings", "Show logs"] : ["Open Settings", "Show logs"];
  const choice = await vscode.window.showErrorMessage(message, ...actions);
  if (choice === "Select Interpreter") {
    await vscode.commands.executeCommand("python.setInterpreter");
  } else if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.interpreter`);
  } else if (choice === "Show logs") {
    log.show();
  }
}

/** `limeTaskLint.logLevel` if set, else the output channel's level. */
function serverLogLevel(): ServerLogLevel {
  return effectiveLogLevel(vscode.workspace.getConfiguration(SECTION).inspect("logLevel"), log.logLevel);
}

function settingGetter(scope: vscode.ConfigurationScope | undefined): SettingGetter {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return <K extends ServerSettingKey>(key: K) => config.get(key);
}

async function startServer(reason: string): Promise<void> {
  log.info(`(Re)starting the server: ${reason}`);
  await stopClient();
  setStatus("starting");

  interpreter = await findInterpreter();
  if (!interpreter) {
    return;
  }
  versionWarning = undefined;
  const requested = pickImportStrategy(
    vscode.workspace.getConfiguration(SECTION).inspect("importStrategy"),
    vscode.workspace.isTrusted,
  );
  const platform = { extensionPath, baseEnv: process.env, delimiter: path.delimiter, join: path.join };
  let installed: InstalledServer | { error: string } | undefined;
  if (requested === "fromEnvironment") {
    try {
      installed = await python.probeInstalledServer(
        interpreter.command, serverEnvironment("fromEnvironment", platform), extensionPath);
    } catch (err) {
      installed = { error: err instanceof Error ? err.message : String(err) };
    }
  }
  const launch = buildServerLaunch({ ...platform, interpreter: interpreter.command, requested, installed });
  strategy = launch.strategy;
  log.info(`Interpreter: ${interpreter.command.join(" ")} (from ${interpreter.source}; Python ${formatVersion(interpreter.version)}; ${interpreter.executable})`);
  for (const note of launch.notes) {
    (launch.strategy === requested ? log.info : log.warn).call(log, note);
  }
  log.info(`Server: ${launch.command} ${launch.args.join(" ")}  PYTHONPATH=${launch.env.PYTHONPATH ?? "(unset)"}`);
  log.info(`Server log level: ${serverLogLevel()}`);

  const serverOptions: ServerOptions = {
    command: launch.command,
    args: launch.args,
    // No `transport`: stdio is the default, and TransportKind.stdio would append `--stdio`.
    // The extension folder as cwd, so no file of the user's workspace can shadow a module.
    options: { cwd: extensionPath, env: launch.env },
  };

  const folders = vscode.workspace.workspaceFolders ?? [];
  // eslint-disable-next-line prefer-const -- the error handler below closes over it
  let c: LanguageClient;
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "python" },
      { scheme: "untitled", language: "python" },
    ],
    outputChannel: log,
    revealOutputChannelOn: 4, // RevealOutputChannelOn.Never: no popups
    initializationOptions: buildInitializationOptions(
      folders.map((f) => ({ uri: f.uri.toString(), get: settingGetter(f.uri) })),
      settingGetter(undefined),
      serverLogLevel(),
    ),
    synchronize: { configurationSection: SECTION },
    middleware: {
      workspace: {
        configuration: async (params, token, next) => {
          const results = await next(params, token);
          return Array.isArray(results) ? withLogLevel(params.items, results, serverLogLevel()) : results;
        },
      },
    },
    // A server that exits on its own is started again by the extension, through the
    // same serialized path as the Restart command: the client's own restart raced
    // with that command (a server killed, then Restart) and could leave no client running.
    errorHandler: {
      error: (_error, _message, count) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
      closed: () => {
        if (client === c) {
          if (crashRestarts.allow(Date.now())) {
            void restart("the server exited");
          } else {
            setStatus("error", "The server exited 5 times in 3 minutes");
            log.error("The server exited 5 times in 3 minutes; it is not started again (see the lines above). " +
              "Use \"Lime Task Lint: Restart server\" once the cause is fixed.");
          }
        }
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
    stdioOptions: {
      stdout: (input, channel) => lines(input, (line) => channel.info(line)),
      stderr: (input, channel) => {
        const stderr = new ServerStderr();
        lines(input, (line) => {
          const record = stderr.route(line, client?.state === State.Running);
          if (record) {
            channel[record.level](`[server] ${record.text}`);
          }
        });
      },
    },
  };

  c = new LanguageClient("limeTaskLint", NAME, serverOptions, clientOptions);
  client = c;
  c.registerFeature({
    fillClientCapabilities: declareRequiredVersionNotification,
    initialize: () => undefined,
    getState: () => ({ kind: "static" }),
    clear: () => undefined,
  });
  c.onNotification(REQUIRED_VERSION_NOTIFICATION, (params: unknown) => onVersionMismatch(params));
  c.onDidChangeState((e) => {
    if (client !== c) {
      return;
    }
    if (e.newState === State.Running) {
      setStatus("running");
    } else if (e.newState === State.Starting) {
      setStatus("starting");
    } else {
      setStatus("stopped");
    }
  });
  try {
    await c.start();
    const info = c.initializeResult?.serverInfo;
    log.info(`Server running: ${info ? `${info.name} ${info.version ?? ""}` : "(no serverInfo)"}; ` +
      `commands: ${(c.initializeResult?.capabilities.executeCommandProvider?.commands ?? []).join(", ") || "none"}`);
  } catch (err) {
    setStatus("error", "The server did not start");
    log.error(`The server did not start: ${err instanceof Error ? err.message : String(err)}. ` +
      `Check that ${interpreter.command.join(" ")} is Python 3.10+ and see the lines above.`);
  }
}

/** The server's required-version warning: the status bar says it, and (see shouldPopUpVersionMismatch) a pop-up. */
function onVersionMismatch(params: unknown): void {
  const mismatch = parseMismatch(params);
  if (!mismatch) {
    return;
  }
  versionWarning = mismatch.message;
  setStatus(serverState);
  const scope = mismatch.uri ? vscode.Uri.parse(mismatch.uri) : undefined;
  const show = vscode.workspace.getConfiguration(SECTION, scope).get("showNotifications");
  const key = mismatch.configFile ?? mismatch.requiredVersion;
  if (!shouldPopUpVersionMismatch(strategy, show, key, versionWarningsShown)) {
    return;
  }
  versionWarningsShown.add(key);
  void (async () => {
    const choice = await vscode.window.showWarningMessage(mismatchMessage(mismatch), "Open Settings", "Show logs");
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.importStrategy`);
    } else if (choice === "Show logs") {
      log.show();
    }
  })();
}

function lines(input: NodeJS.ReadableStream, each: (line: string) => void): void {
  readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on("line", each);
}

export type ServerState = "starting" | "running" | "stopped" | "error";
let serverState: ServerState = "starting";

function setStatus(state: ServerState, detail?: string): void {
  serverState = state;
  const icon = { starting: "$(loading~spin)", running: "$(check)", stopped: "$(circle-slash)", error: "$(error)" }[state];
  status.text = `${icon} Lime Task Lint`;
  const py = interpreter ? `\nPython ${formatVersion(interpreter.version)}: ${interpreter.executable} (${strategy})` : "";
  const warning = versionWarning && state === "running" ? `\n${versionWarning}` : "";
  status.tooltip = `Lime Task Lint server: ${state}${detail ? ` (${detail})` : ""}${py}${warning}\nClick to show the logs.`;
  status.backgroundColor = state === "error"
    ? new vscode.ThemeColor("statusBarItem.errorBackground")
    : warning ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
}

/** The running client, after any pending (re)start, or undefined with a message shown. */
async function runningClient(): Promise<LanguageClient | undefined> {
  await lifecycle;
  if (!client || client.state !== State.Running) {
    void vscode.window.showWarningMessage(`${NAME}: the server is not running. See "Lime Task Lint: Show logs".`);
    return undefined;
  }
  return client;
}

async function executeServerCommand(
  cmd: ServerCommand,
  args: (c: LanguageClient) => unknown[],
): Promise<{ client: LanguageClient; result: unknown } | undefined> {
  const c = await runningClient();
  if (!c) {
    return undefined;
  }
  const missing = missingCommandMessage(cmd, c.initializeResult);
  if (missing) {
    log.warn(missing);
    void vscode.window.showInformationMessage(missing);
    return undefined;
  }
  try {
    const result: unknown = await c.sendRequest(ExecuteCommandRequest.type, { command: cmd.server, arguments: args(c) });
    return { client: c, result };
  } catch (err) {
    const msg = `${NAME}: "${cmd.title}" failed: ${err instanceof Error ? err.message : String(err)}`;
    log.error(msg);
    void vscode.window.showErrorMessage(msg);
    return undefined;
  }
}

function activePythonEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "python") {
    void vscode.window.showInformationMessage(`${NAME}: open a Python file first.`);
    return undefined;
  }
  return editor;
}

async function fixAll(uri?: vscode.Uri): Promise<void> {
  const target = uri instanceof vscode.Uri ? uri : activePythonEditor()?.document.uri;
  if (!target) {
    return;
  }
  const done = await executeServerCommand(SERVER_COMMANDS.fixAll, (c) => [c.code2ProtocolConverter.asUri(target)]);
  // The server applies its edit through workspace/applyEdit; accept a returned edit too.
  const result = done?.result;
  if (done && result && typeof result === "object" && ("changes" in result || "documentChanges" in result)) {
    await vscode.workspace.applyEdit(await done.client.protocol2CodeConverter.asWorkspaceEdit(result as LspWorkspaceEdit));
  } else if (result && typeof result === "object" && typeof (result as { message?: unknown }).message === "string") {
    // e.g. { applied: false, message: "nothing to fix" }: say it without a popup.
    vscode.window.setStatusBarMessage(`${NAME}: ${(result as { message: string }).message}`, 4000);
  }
}

async function generateDocstring(): Promise<void> {
  const editor = activePythonEditor();
  if (!editor) {
    return;
  }
  const pos = editor.selection.active;
  await executeServerCommand(SERVER_COMMANDS.generateDocstring, (c) => [
    c.code2ProtocolConverter.asUri(editor.document.uri),
    { line: pos.line, character: pos.character },
  ]);
}

async function showBudgetReport(): Promise<void> {
  const editor = activePythonEditor();
  if (!editor) {
    return;
  }
  const done = await executeServerCommand(SERVER_COMMANDS.budgetReport, (c) => [
    c.code2ProtocolConverter.asUri(editor.document.uri),
  ]);
  if (!done) {
    return;
  }
  const html = budgetReportHtml(done.result);
  if (html === undefined) {
    log.error(`Budget report: unexpected result ${JSON.stringify(done.result)?.slice(0, 300)}`);
    void vscode.window.showErrorMessage(`${NAME}: the server sent no report.`);
    return;
  }
  const panel = vscode.window.createWebviewPanel(
    "limeTaskLint.budgetReport",
    `Task budget: ${path.basename(editor.document.uri.fsPath)}`,
    vscode.ViewColumn.Beside,
    { enableScripts: false },
  );
  panel.webview.html = html;
}
