import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { importAggregatesCsv } from './csv-import';
import { EngagementError } from './engagement.errors';
import { EngagementRepository } from './engagement.repository';
import { toRollupArrays } from './events';
import { VariantDirectory } from './variant-directory';

export interface ImportReport {
  /** False when a file with the same bytes was imported before; nothing was added this time. */
  imported: boolean;
  sha256: string;
  /** Rollup rows (variant × day) the file holds. */
  rows: number;
  importedAt: string;
  /** Headers that matched no known column (ad names, spend, …); present on a new import. */
  ignoredColumns?: string[];
}

const UUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * A platform's daily CSV of aggregates, added to the rollups at 00:00 UTC of each day. The file's
 * `ad_id` is the Adloom variant id (VAST `Ad@id` and `UniversalAdId`, `variantId` in the ad JSON),
 * which is what a platform reports back when the creative was registered under it. A file counts
 * once per workspace: it is known by the SHA-256 of its bytes.
 */
@Injectable()
export class AggregateImports {
  constructor(
    private readonly repository: EngagementRepository,
    private readonly variants: VariantDirectory,
  ) {}

  async importCsv(workspaceId: string, body: Buffer): Promise<ImportReport> {
    const sha256 = createHash('sha256').update(body).digest('hex');
    const text = body.toString('utf8');
    const mentioned = [
      ...new Set(Array.from(text.matchAll(UUID_IN_TEXT), (match) => match[0].toLowerCase())),
    ];
    const known = await this.variants.resolve(mentioned);
    const lookup = (adId: string) => {
      const variant = known.get(adId.toLowerCase());
      return variant && variant.workspaceId === workspaceId
        ? { variantId: variant.id, segment: variant.segmentKey }
        : undefined;
    };

    const result = importAggregatesCsv(body, lookup);
    if (!result.ok) {
      const [first] = result.errors;
      const where = [first.row && `line ${first.row}`, first.column && `column "${first.column}"`]
        .filter(Boolean)
        .join(', ');
      throw new EngagementError('invalid_csv', where ? `${where}: ${first.message}` : first.message, {
        field: 'body',
        errors: result.errors,
      });
    }

    const arrays = toRollupArrays(result.rows);
    const campaignIds = arrays.variantIds.map((id) => known.get(id)!.campaignId);
    const file = await this.repository.importRollups(workspaceId, sha256, { ...arrays, campaignIds });
    return {
      imported: file.imported,
      sha256,
      rows: file.rows,
      importedAt: file.importedAt.toISOString(),
      ...(file.imported ? { ignoredColumns: result.ignoredColumns } : {}),
    };
  }
}
