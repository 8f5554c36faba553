import { Injectable } from '@nestjs/common';
import { Clock } from '@adloom/common';
import { EngagementRepository, VariantRef } from './engagement.repository';

const KNOWN_TTL_MS = 60_000;
const UNKNOWN_TTL_MS = 5_000;
const MAX_ENTRIES = 100_000;

/**
 * Which workspace, campaign and segment a variant id belongs to, remembered for a minute (a variant
 * never changes campaign; an unknown id is asked again after a few seconds), so a batch of events
 * costs a query only for variants not seen lately.
 */
@Injectable()
export class VariantDirectory {
  private readonly entries = new Map<string, { variant: VariantRef | undefined; until: number }>();

  constructor(
    private readonly repository: EngagementRepository,
    private readonly clock: Clock,
  ) {}

  async resolve(ids: Iterable<string>): Promise<Map<string, VariantRef>> {
    const now = this.clock.nowMs();
    const found = new Map<string, VariantRef>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const entry = this.entries.get(id);
      if (entry && entry.until > now) {
        if (entry.variant) found.set(id, entry.variant);
      } else missing.push(id);
    }
    if (missing.length === 0) return found;

    const rows = await this.repository.variants(missing);
    if (this.entries.size + missing.length > MAX_ENTRIES) this.entries.clear();
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of missing) {
      const variant = byId.get(id);
      this.entries.set(id, { variant, until: now + (variant ? KNOWN_TTL_MS : UNKNOWN_TTL_MS) });
      if (variant) found.set(id, variant);
    }
    return found;
  }
}
