// Client commands that forward to the server's workspace/executeCommand.
// Pure: which server command backs which client command, and whether the running
// server announced it in `executeCommandProvider.commands`.

export interface ServerCommand {
  /** Client command id (package.json). */
  client: string;
  /** Server command id (workspace/executeCommand). */
  server: string;
  /** Title shown to users. */
  title: string;
}

export const SERVER_COMMANDS = {
  fixAll: { client: "limeTaskLint.fixAll", server: "lime-task-lint.fixAll", title: "Fix all in file" },
  generateDocstring: {
    client: "limeTaskLint.generateDocstring",
    server: "lime-task-lint.generateDocstring",
    title: "Generate docstring",
  },
  budgetReport: {
    client: "limeTaskLint.showBudgetReport",
    server: "lime-task-lint.budgetReport",
    title: "Show task budget report",
  },
} satisfies Record<string, ServerCommand>;

/** The part of the initialize result we read. */
export interface InitializeResultLike {
  capabilities?: { executeCommandProvider?: { commands?: string[] } };
  serverInfo?: { name: string; version?: string };
}

export function serverCommands(result: InitializeResultLike | undefined): string[] {
  return result?.capabilities?.executeCommandProvider?.commands ?? [];
}

/** undefined when the server provides the command, else the message to show. */
export function missingCommandMessage(cmd: ServerCommand, result: InitializeResultLike | undefined): string | undefined {
  if (serverCommands(result).includes(cmd.server)) {
    return undefined;
  }
  const version = result?.serverInfo?.version ? ` ${result.serverInfo.version}` : "";
  return `Lime Task Lint: "${cmd.title}" is not available: the language server${version} does not provide ` +
    `the command "${cmd.server}" yet.`;
}

/** The budget report result: `{ html: string }`. */
export function budgetReportHtml(result: unknown): string | undefined {
  if (result && typeof result === "object" && typeof (result as { html?: unknown }).html === "string") {
    return (result as { html: string }).html;
  }
  return undefined;
}
