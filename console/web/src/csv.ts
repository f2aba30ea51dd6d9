/**
 * CSV for listing uploads, parsed in the browser (RFC 4180: quoted fields, doubled quotes, commas and line breaks
 * inside quotes, CRLF or LF, a leading BOM). Pure. Errors name the line, never a value (values can be anything).
 */

export interface CsvTable {
  header: string[];
  rows: Array<Record<string, string>>;
  /** The file line each row starts on (1-based, the header is line 1). */
  lines: number[];
}

export class CsvError extends Error {}

export function parseCsv(text: string): CsvTable {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (quoted) {
      if (c === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      if (field !== "") throw new CsvError(`line ${line}: a quote inside an unquoted field; quote the whole field`);
      quoted = true;
      fieldStarted = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      fieldStarted = true;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && input[i + 1] === "\n") i++;
      if (fieldStarted || field !== "" || fields.length > 0) {
        fields.push(field);
        records.push({ line: recordLine, fields });
      }
      fields = [];
      field = "";
      fieldStarted = false;
      line++;
      recordLine = line;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new CsvError(`line ${recordLine}: a quoted field is not closed`);
  if (fieldStarted || field !== "" || fields.length > 0) {
    fields.push(field);
    records.push({ line: recordLine, fields });
  }
  const [head, ...body] = records;
  if (!head) throw new CsvError("the file is empty; expected a header line and at least one row");
  const header = head.fields.map((h) => h.trim());
  const blank = header.indexOf("");
  if (blank >= 0) throw new CsvError(`line 1: column ${blank + 1} has no name`);
  const repeated = header.find((h, i) => header.indexOf(h) !== i);
  if (repeated !== undefined) throw new CsvError(`line 1: column "${repeated}" appears twice`);
  const rows: Array<Record<string, string>> = [];
  const lines: number[] = [];
  for (const record of body) {
    if (record.fields.length !== header.length) {
      throw new CsvError(
        `line ${record.line}: ${record.fields.length} fields; expected ${header.length} (one per header column)`,
      );
    }
    const row: Record<string, string> = {};
    header.forEach((name, i) => {
      row[name] = record.fields[i] ?? "";
    });
    rows.push(row);
    lines.push(record.line);
  }
  if (rows.length === 0) throw new CsvError("the file has a header but no rows");
  return { header, rows, lines };
}

/** Splits rows into requests of at most `size` (Pincode's batch size: 100 messages per request). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
