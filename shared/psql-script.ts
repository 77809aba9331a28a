/**
 * The part of psql that the pgTAP files use, so that they run over postgres.js without psql or pg_prove: statements
 * split at `;`, `\gset` (store the single row's columns as variables) and `:name`, `:'name'`, `:"name"`
 * interpolation. As in psql, nothing is split or interpolated inside quotes, dollar quotes or comments, `::` is a cast,
 * and an undefined variable is left as written. Any other meta-command is refused, so that a test file cannot
 * silently mean something else here than under psql.
 */

type Part = string | { variable: string; quote: "" | "'" | '"' };

export interface Statement {
  parts: Part[];
  /** The line of the file the statement starts on, for error messages. */
  line: number;
  /** Ended by `\gset` (with this variable-name prefix) rather than `;`. */
  gset?: { prefix: string };
}

const identifierChar = /[A-Za-z0-9_\x80-\uffff$]/;
const dollarTag = /^\$(?:[A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$/;
const variableRef = /^:(?:'([A-Za-z_][A-Za-z0-9_]*)'|"([A-Za-z_][A-Za-z0-9_]*)"|([A-Za-z_][A-Za-z0-9_]*))/;

/** Splits a psql script into statements whose variables are filled in when they run. */
export function parseScript(text: string): Statement[] {
  const statements: Statement[] = [];
  let parts: Part[] = [];
  let chunk = "";
  let line = 1;
  /** The line of the statement's first code (not comment or blank); null while there is none. */
  let codeLine: number | null = null;
  let i = 0;

  const flush = (gset?: Statement["gset"]) => {
    if (chunk) parts.push(chunk);
    if (gset && codeLine === null) throw new Error(`line ${line}: \\gset without a query`);
    if (codeLine !== null) statements.push({ parts, line: codeLine, ...(gset ? { gset } : {}) });
    parts = [];
    chunk = "";
    codeLine = null;
  };
  /** Copies text up to and including `end` (or to the end of the script). */
  const copyThrough = (end: number) => {
    const piece = text.slice(i, end);
    line += piece.split("\n").length - 1;
    chunk += piece;
    i = end;
  };

  while (i < text.length) {
    const rest = text.slice(i, i + 2);
    const ch = text[i];
    const isComment = rest === "--" || rest === "/*";
    if (codeLine === null && !isComment && !/\s/.test(ch) && ch !== "\\") codeLine = line;
    if (rest === "--") {
      const end = text.indexOf("\n", i);
      copyThrough(end === -1 ? text.length : end);
    } else if (rest === "/*") {
      copyThrough(blockCommentEnd(text, i));
    } else if (ch === "'") {
      const escapes = /[eE]/.test(text[i - 1] ?? "") && !identifierChar.test(text[i - 2] ?? "");
      copyThrough(quotedEnd(text, i, "'", escapes));
    } else if (ch === '"') {
      copyThrough(quotedEnd(text, i, '"', false));
    } else if (ch === "$" && !identifierChar.test(text[i - 1] ?? "") && dollarTag.test(text.slice(i))) {
      const tag = dollarTag.exec(text.slice(i))![0];
      const close = text.indexOf(tag, i + tag.length);
      if (close === -1) throw new Error(`line ${line}: unterminated dollar-quoted string ${tag}`);
      copyThrough(close + tag.length);
    } else if (rest === "::") {
      copyThrough(i + 2);
    } else if (ch === ":" && variableRef.test(text.slice(i))) {
      const match = variableRef.exec(text.slice(i))!;
      if (chunk) parts.push(chunk);
      chunk = "";
      const quote = match[1] !== undefined ? "'" : match[2] !== undefined ? '"' : "";
      parts.push({ variable: match[1] ?? match[2] ?? match[3], quote });
      i += match[0].length;
    } else if (ch === ";") {
      copyThrough(i + 1);
      flush();
    } else if (ch === "\\") {
      const end = text.indexOf("\n", i);
      const [command, ...args] = text.slice(i + 1, end === -1 ? text.length : end).trim().split(/\s+/);
      if (command !== "gset") throw new Error(`line ${line}: unsupported psql meta-command \\${command}`);
      i = end === -1 ? text.length : end;
      flush({ prefix: args[0] ?? "" });
    } else {
      copyThrough(i + 1);
    }
  }
  flush();
  return statements;
}

function blockCommentEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length - 1; i++) {
    if (text.startsWith("/*", i)) {
      depth++;
      i++;
    } else if (text.startsWith("*/", i)) {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

function quotedEnd(text: string, start: number, quote: string, backslashEscapes: boolean): number {
  for (let i = start + 1; i < text.length; i++) {
    if (backslashEscapes && text[i] === "\\") i++;
    else if (text[i] === quote) {
      if (text[i + 1] === quote) i++;
      else return i + 1;
    }
  }
  throw new Error(`unterminated ${quote === "'" ? "string" : "quoted identifier"} starting at offset ${start}`);
}

/** psql's quoting of a variable's value: as a literal (`:'v'`) or an identifier (`:"v"`). */
function quoteValue(value: string, quote: "'" | '"'): string {
  if (quote === '"') return `"${value.replaceAll('"', '""')}"`;
  const literal = `'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
  return value.includes("\\") ? `E${literal}` : literal;
}

/** The statement's text with the variables' current values. */
export function statementText(statement: Statement, variables: Map<string, string>): string {
  return statement.parts.map((part) => {
    if (typeof part === "string") return part;
    const value = variables.get(part.variable);
    if (value === undefined) {
      return part.quote ? `:${part.quote}${part.variable}${part.quote}` : `:${part.variable}`;
    }
    return part.quote ? quoteValue(value, part.quote) : value;
  }).join("");
}
