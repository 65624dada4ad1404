import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type ErrorCode, errorCodes } from "./error-codes.js";

// The error reference must document every registered code with the registry's values (fastify keeps
// docs/Reference/Errors.md honest the same way). Rows look like:
// | `SWY_ERR_HTTP_NOT_FOUND` | 404 | `invalid_request_error` | `not_found` | no | Description |
const docsUrl = new URL("../../../docs/reference/errors.md", import.meta.url);
const docs = readFileSync(docsUrl, "utf8");

interface DocumentedRow {
  readonly status: string;
  readonly type: string;
  readonly code: string;
  readonly retryable: string;
}

function parseRows(markdown: string): Map<string, DocumentedRow> {
  const rows = new Map<string, DocumentedRow>();
  for (const line of markdown.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    // A table row splits into ["", code, status, type, code, retryable, description, ""].
    if (cells.length < 8 || !/^`SWY_ERR_[A-Z_]+`$/.test(cells[1] ?? "")) continue;
    // Only the full code tables have six columns; other tables mention codes too.
    if (!/^\d{3}$/.test(cells[2] ?? "") || !/^(yes|no)$/.test(cells[5] ?? "")) continue;
    const unquote = (cell: string | undefined) => (cell ?? "").replace(/^`|`$/g, "");
    rows.set(unquote(cells[1]), {
      status: cells[2] ?? "",
      type: unquote(cells[3]),
      code: unquote(cells[4]),
      retryable: cells[5] ?? "",
    });
  }
  return rows;
}

const rows = parseRows(docs);
const codes = Object.keys(errorCodes) as ErrorCode[];

// SWY_ERR_INTERNAL predates the <AREA>_<DETAIL> convention; it is the only code allowed without a detail.
const namingExceptions: ReadonlySet<string> = new Set(["SWY_ERR_INTERNAL"]);

describe("error code registry", () => {
  it("names every code SWY_ERR_<AREA>_<DETAIL>", () => {
    const badNames = codes.filter(
      (code) => !namingExceptions.has(code) && !/^SWY_ERR_[A-Z]+_[A-Z_]+$/.test(code),
    );
    expect(badNames, `codes not shaped SWY_ERR_<AREA>_<DETAIL>: ${badNames.join(", ")}`).toEqual([]);
  });

  it("gives every code a valid HTTP status", () => {
    // 100-599 is the range RFC 9110 allows; 499 (client closed request) is inside it.
    const badStatuses = codes.filter((code) => {
      const { status } = errorCodes[code];
      return !Number.isInteger(status) || status < 100 || status > 599;
    });
    expect(badStatuses, `codes with an invalid HTTP status: ${badStatuses.join(", ")}`).toEqual([]);
  });
});

describe("docs/reference/errors.md", () => {
  it("documents every code in a table row", () => {
    const missing = codes.filter((code) => !rows.has(code));
    expect(missing, `codes missing from docs/reference/errors.md: ${missing.join(", ")}`).toEqual([]);
  });

  it("documents each code with literal backticks", () => {
    const unquoted = codes.filter((code) => !docs.includes(`\`${code}\``));
    expect(unquoted, `codes never written in backticks: ${unquoted.join(", ")}`).toEqual([]);
  });

  it("lists no code the registry does not have", () => {
    const stale = [...rows.keys()].filter((code) => !(code in errorCodes));
    expect(stale, `documented codes not in errorCodes: ${stale.join(", ")}`).toEqual([]);
  });

  it("gives each code the registry's status, OpenAI type and code, and retryability", () => {
    const mismatches: string[] = [];
    for (const code of codes) {
      const row = rows.get(code);
      if (!row) continue;
      const info = errorCodes[code];
      const expected: DocumentedRow = {
        status: String(info.status),
        type: info.type,
        code: info.code,
        retryable: info.retryable ? "yes" : "no",
      };
      for (const field of ["status", "type", "code", "retryable"] as const) {
        if (row[field] !== expected[field]) {
          mismatches.push(`${code}: docs say ${field} ${row[field]}, registry says ${expected[field]}`);
        }
      }
    }
    expect(mismatches, mismatches.join("\n")).toEqual([]);
  });
});
