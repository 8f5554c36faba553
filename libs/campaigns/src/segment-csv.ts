import { CsvError, parse } from 'csv-parse/sync';
import { CampaignError } from './campaigns.errors';

/**
 * Bulk segments as CSV. A header row, then one segment per row:
 *
 * - `key`, `name`: text;
 * - `locales`: locale tags separated by `;` (`en-US;de-DE`);
 * - `attributes` (optional): a JSON object, for typed values (numbers, booleans, lists);
 * - `attributes.<name>` (optional, any number): one text attribute each; dots nest
 *   (`attributes.city.name`); an empty cell leaves the attribute out. These win over the same key
 *   in the `attributes` column.
 */
export const SEGMENT_CSV_COLUMNS = ['key', 'name', 'locales', 'attributes'] as const;
export const SEGMENT_CSV_MAX_ROWS = 10_000;

export interface SegmentCsvRow {
  /** Line of the file the row ends on (the header is line 1). */
  line: number;
  key: string;
  name: string;
  locales: string[];
  attributes: Record<string, unknown>;
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

const ATTRIBUTE_COLUMN = /^attributes\.([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)$/;
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function invalid(detail: string, field: string, line?: number): CampaignError {
  return new CampaignError('invalid_csv', detail, { field, ...(line ? { line } : {}) });
}

function setPath(target: Record<string, unknown>, path: string[], value: string): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Parses the whole file or throws 400 `invalid_csv` naming the column or row at fault. */
export function parseSegmentCsv(csv: string): SegmentCsvRow[] {
  let records: ParsedRecord[];
  try {
    // With `info`, csv-parse returns { record, info } pairs, which its typings do not express.
    records = parse(csv, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as ParsedRecord[];
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = typeof error.lines === 'number' ? error.lines : undefined;
    throw invalid(`The CSV cannot be read: ${error.message}`, 'body', line);
  }
  if (records.length < 2) throw invalid('The CSV needs a header row and at least one segment.', 'body');
  if (records.length - 1 > SEGMENT_CSV_MAX_ROWS)
    throw invalid(`At most ${SEGMENT_CSV_MAX_ROWS} segments per import.`, 'body');

  const [{ record: header }, ...rows] = records;
  const attributeColumns: { index: number; path: string[] }[] = [];
  const index: Partial<Record<(typeof SEGMENT_CSV_COLUMNS)[number], number>> = {};
  header.forEach((column, position) => {
    const attribute = ATTRIBUTE_COLUMN.exec(column);
    if (attribute) {
      const path = attribute[1].split('.');
      if (path.some((part) => UNSAFE_KEYS.has(part)))
        throw invalid(`Column "${column}" names a reserved key.`, `columns[${position}]`, 1);
      attributeColumns.push({ index: position, path });
    } else if ((SEGMENT_CSV_COLUMNS as readonly string[]).includes(column)) {
      const name = column as (typeof SEGMENT_CSV_COLUMNS)[number];
      if (index[name] !== undefined)
        throw invalid(`Column "${column}" appears twice.`, `columns[${position}]`, 1);
      index[name] = position;
    } else {
      throw invalid(
        `Unknown column "${column}"; columns are key, name, locales, attributes and attributes.<name>.`,
        `columns[${position}]`,
        1,
      );
    }
  });
  for (const required of ['key', 'name', 'locales'] as const)
    if (index[required] === undefined)
      throw invalid(`The header lacks the "${required}" column.`, 'columns', 1);

  return rows.map(({ record, info }, row) => {
    let attributes: Record<string, unknown> = {};
    const json = index.attributes === undefined ? '' : record[index.attributes];
    if (json !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        throw invalid(`Row ${row + 1}: attributes is not valid JSON.`, `rows[${row}].attributes`, info.lines);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw invalid(
          `Row ${row + 1}: attributes must be a JSON object.`,
          `rows[${row}].attributes`,
          info.lines,
        );
      attributes = parsed as Record<string, unknown>;
    }
    for (const column of attributeColumns) {
      const value = record[column.index];
      if (value !== '') setPath(attributes, column.path, value);
    }
    return {
      line: info.lines,
      key: record[index.key!],
      name: record[index.name!],
      locales: record[index.locales!]
        .split(';')
        .map((locale) => locale.trim())
        .filter((locale) => locale !== ''),
      attributes,
    };
  });
}
