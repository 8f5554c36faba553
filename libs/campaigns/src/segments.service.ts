import { Injectable } from '@nestjs/common';
import { Db, Page } from '@adloom/db';
import { assertIfMatch, etagOf, parseOrThrow } from '@adloom/http';
import { CampaignError } from './campaigns.errors';
import type { SegmentData } from './render';
import { canonicalLocale, CreateSegment, createSegmentSchema, UpdateSegment } from './schemas';
import { parseSegmentCsv } from './segment-csv';
import { SegmentFields, SegmentRow, SegmentsRepository } from './segments.repository';

export const MAX_ATTRIBUTES_BYTES = 64 * 1024;

export interface SegmentView {
  id: string;
  key: string;
  name: string;
  locales: string[];
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface SegmentRecord extends SegmentData {
  id: string;
}

export const toSegmentView = (row: SegmentRow): SegmentView => ({
  id: row.id,
  key: row.key,
  name: row.name,
  locales: row.locales,
  attributes: row.attributes,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export const toSegmentRecord = (row: SegmentRow): SegmentRecord => ({
  id: row.id,
  key: row.key,
  name: row.name,
  locales: row.locales,
  attributes: row.attributes,
});

export const segmentEtag = (row: SegmentRow) =>
  etagOf(row.id, row.updated_at, JSON.stringify([row.key, row.name, row.locales, row.attributes]));

function checkAttributesSize(attributes: Record<string, unknown> | undefined, field = 'attributes'): void {
  if (!attributes) return;
  const bytes = Buffer.byteLength(JSON.stringify(attributes), 'utf8');
  if (bytes > MAX_ATTRIBUTES_BYTES) {
    throw new CampaignError(
      'attributes_too_large',
      `${field} is ${bytes} bytes of JSON; the limit is ${MAX_ATTRIBUTES_BYTES} bytes.`,
      { field, bytes, limit: MAX_ATTRIBUTES_BYTES },
    );
  }
}

const canonicalLocales = (locales: string[]) => [
  ...new Set(locales.map((tag) => canonicalLocale(tag) ?? tag)),
];

@Injectable()
export class SegmentsService {
  constructor(
    private readonly db: Db,
    private readonly segments: SegmentsRepository,
  ) {}

  async create(workspaceId: string, input: CreateSegment) {
    checkAttributesSize(input.attributes);
    const row = await this.segments.insert(workspaceId, {
      ...input,
      locales: canonicalLocales(input.locales),
    });
    return { view: toSegmentView(row), etag: segmentEtag(row) };
  }

  /**
   * Creates every segment of a CSV file (see parseSegmentCsv for its columns) or none: the first bad
   * row or duplicate key is named (`rows[2].locales`) and nothing is stored.
   */
  async importCsv(workspaceId: string, body: unknown): Promise<{ created: number; items: SegmentView[] }> {
    if (typeof body !== 'string') {
      throw new CampaignError(
        'invalid_csv',
        'Send the segments as the request body with Content-Type text/csv.',
        {
          field: 'Content-Type',
        },
      );
    }
    const rows = parseSegmentCsv(body);
    const segments: SegmentFields[] = [];
    const seen = new Map<string, number>();
    rows.forEach((row, index) => {
      const { line: _line, ...fields } = row;
      const segment = parseOrThrow(createSegmentSchema, fields, `rows[${index}]`);
      checkAttributesSize(segment.attributes, `rows[${index}].attributes`);
      if (seen.has(segment.key)) {
        throw new CampaignError(
          'key_taken',
          `rows[${index}]: key "${segment.key}" is also on rows[${seen.get(segment.key)}].`,
          { field: `rows[${index}].key`, key: segment.key },
        );
      }
      seen.set(segment.key, index);
      segments.push({ ...segment, locales: canonicalLocales(segment.locales) });
    });
    const created = await this.db.transaction((tx) => this.segments.insertMany(workspaceId, segments, tx));
    return { created: created.length, items: created.map(toSegmentView) };
  }

  async get(workspaceId: string, id: string) {
    const row = await this.segments.find(workspaceId, id);
    if (!row) throw segmentNotFound(id, 'id');
    return { view: toSegmentView(row), etag: segmentEtag(row) };
  }

  async findRecord(workspaceId: string, id: string): Promise<SegmentRecord | undefined> {
    const row = await this.segments.find(workspaceId, id);
    return row && toSegmentRecord(row);
  }

  list(
    workspaceId: string,
    page: { limit: number; cursor?: string; key?: string },
  ): Promise<Page<SegmentView>> {
    return this.segments.list(workspaceId, page, toSegmentView);
  }

  async update(workspaceId: string, id: string, changes: UpdateSegment, ifMatch: string | undefined) {
    checkAttributesSize(changes.attributes);
    const row = await this.db.transaction(async (tx) => {
      const current = await this.segments.find(workspaceId, id, tx, true);
      if (!current) throw segmentNotFound(id, 'id');
      assertIfMatch(ifMatch, segmentEtag(current));
      return this.segments.update(
        workspaceId,
        id,
        { ...changes, locales: changes.locales && canonicalLocales(changes.locales) },
        tx,
      );
    });
    return { view: toSegmentView(row), etag: segmentEtag(row) };
  }
}

export function segmentNotFound(id: string, field: string) {
  return new CampaignError('segment_not_found', `No segment ${id} in this workspace.`, { field });
}
