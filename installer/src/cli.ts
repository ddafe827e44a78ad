#!/usr/bin/env node
// kserve-wasm-logger: InferenceServices → Istio WasmPlugins. kubectl-like conventions:
// -f FILE|- (repeatable), -n/--namespace, -A, -o yaml|json, --dry-run=client|server,
// --kubeconfig, errors and warnings on stderr, --help on every command.
// Exit codes: 0 success, 1 invalid input / validation failure / API error, 2 bad command line.
import { parseArgs } from "node:util";
import { UsageError } from "./diagnostics.js";
import { COMMANDS } from "./cli/commands.js";
import { COMMON, type Command, type Values } from "./cli/flags.js";
import type { Io } from "./cli/context.js";
import { buildInfo, versionText } from "./version.js";
import { nearest } from "./nearest.js";

export type { Connect, Io } from "./cli/context.js";

function commandHelp(name: string, c: Command): string {
  const width = Math.max(...Object.keys(c.help).map((k) => k.length), 10) + 2;
  const lines = Object.entries({ ...c.help, "-h, --help": "show this help" }).map(
    ([k, d]) => `  ${k.padEnd(width)}${d}`,
  );
  return `${c.summary}\n\nUsage:\n  kserve-wasm-logger ${c.usage}\n\nFlags:\n${lines.join("\n")}\n`;
}

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 2;
  const cmds = Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}${c.summary}`);
  return (
    `kserve-wasm-logger turns KServe InferenceServices into Istio WasmPlugins that log inference payloads.\n\n` +
    `Usage:\n  kserve-wasm-logger COMMAND [flags]\n\nCommands:\n${cmds.join("\n")}\n\n` +
    `Run "kserve-wasm-logger COMMAND --help" for a command's flags, "kserve-wasm-logger --version" for the version.\n` +
    `Exit codes: 0 success, 1 invalid input or failed operation, 2 bad command line.\n`
  );
}

/** parseArgs' refusal in the command line's words, with the nearest flag the command has. */
function flagError(e: unknown, name: string, cmd: Command): string {
  const err = e as { code?: string; message: string };
  const flag = /^Unknown option '(-{1,2}[^']+)'/.exec(err.message)?.[1];
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag) {
    const flags = Object.keys({ ...COMMON, ...cmd.options }).map((f) => `--${f}`);
    const near = nearest(flag.replace(/=.*$/, ""), flags);
    return `${name} has no flag ${flag}${near ? ` (did you mean ${near}?)` : ""}`;
  }
  return err.message;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "version") {
    io.stdout(versionText(buildInfo()));
    return 0;
  }
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    io.stdout(mainHelp());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    const near = nearest(name, Object.keys(COMMANDS));
    io.stderr(`error: unknown command "${name}"${near ? ` (did you mean "${near}"?)` : ""}\n\n${mainHelp()}`);
    return 2;
  }
  let values: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...COMMON, ...cmd.options },
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values as Values;
    positionals = parsed.positionals;
    if (positionals.length > 0 && !("kubeconfig" in cmd.options))
      throw new Error(`unexpected argument "${positionals[0]}"`);
  } catch (e) {
    io.stderr(`error: ${flagError(e, name, cmd)}\nSee "kserve-wasm-logger ${name} --help".\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(commandHelp(name, cmd));
    return 0;
  }
  try {
    return await cmd.run(values, io, positionals);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`error: ${e.message}\n`);
      return e.exitCode;
    }
    // API errors: the server's message, not a stack trace
    const body = (e as { body?: unknown }).body;
    let msg = (e as Error).message;
    try {
      if (typeof body === "string") msg = (JSON.parse(body) as { message?: string }).message ?? msg;
    } catch {
      // not a Status object: keep the client's message
    }
    io.stderr(`error: ${msg ?? String(e)}\n`);
    return 1;
  }
}

// run when executed (tsx or the bundle), not when imported by tests
const entry = process.argv[1] ?? "";
if (/(^|[\\/])(cli\.ts|kserve-wasm-logger\.mjs|kserve-wasm-logger|kubectl-kserve_logger)$/.test(entry)) {
  const isWatch = process.argv[2] === "watch";
  if (isWatch) {
    // the first SIGTERM/SIGINT is handled by the command (graceful); a second one ends it now
    let signals = 0;
    const hard = () => {
      if (++signals > 1) process.exit(130);
    };
    process.on("SIGTERM", hard);
    process.on("SIGINT", hard);
  }
  main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  }).then((code) => {
    process.exitCode = code;
    // watch leaves keep-alive sockets of the HTTP client behind: do not wait for them
    if (isWatch) process.stdout.write("", () => process.exit(code));
  });
}
