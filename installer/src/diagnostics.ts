// Problems found in input, each naming the field it is about, so that a user can fix the
// ISVC (or the flag) without guessing. Errors make a command exit 1; warnings are printed
// on stderr and the command goes on.

export type Severity = "error" | "warning";

export interface Diagnostic {
  severity: Severity;
  /** what the problem is about, e.g. "default/sklearn-iris" or a file name */
  subject: string;
  /** dotted path of the field, e.g. "spec.predictor.logger.mode" ("" when about the whole object) */
  field: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.subject, d.field].filter((s) => s !== "").join(": ");
  return `${d.severity}: ${where}: ${d.message}`;
}

export class Diagnostics {
  readonly items: Diagnostic[] = [];
  constructor(readonly subject: string) {}

  error(field: string, message: string): void {
    this.items.push({ severity: "error", subject: this.subject, field, message });
  }
  warn(field: string, message: string): void {
    this.items.push({ severity: "warning", subject: this.subject, field, message });
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }
  /** the same collector under another subject (e.g. once the ISVC's name is known) */
  child(subject: string): Diagnostics {
    const c = new Diagnostics(subject);
    // share storage so that the parent sees everything
    (c as { items: Diagnostic[] }).items = this.items;
    return c;
  }
}

/** A bad command line (exit code 2). */
export class UsageError extends Error {
  readonly exitCode: number = 2;
}

/** An input that could not be read or parsed at all (exit code 1). */
export class InputError extends UsageError {
  override readonly exitCode: number = 1;
}
