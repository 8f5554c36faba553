import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { CampaignEvents } from '@adloom/queue';
import { TagRow, TagsRepository } from './tags.repository';

/** At most this many tags are held; past it the least recently loaded are forgotten (and reloaded on use). */
const MAX_HELD = 100_000;

/**
 * The tags an edge process has seen, in memory: a tag is loaded on its first request, then every
 * `DELIVERY_CACHE_REFRESH` one query re-reads all held tags, and a `campaign.changed` event drops the
 * campaign's tags so their next request reads them again. A revoked tag thus stops serving within one
 * refresh at worst, at once when the event arrives.
 */
@Injectable()
export class TagDirectory implements OnApplicationShutdown {
  private readonly logger = new Logger('tags');
  /** Tag id → the row, or null when there is no such tag. */
  private readonly held = new Map<string, TagRow | null>();
  private readonly loading = new Map<string, Promise<TagRow | null>>();
  private readonly refreshMs: number;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Bumped by every drop, so a load that began before it does not store what it read. */
  private generation = 0;

  constructor(
    @Inject(CONFIG) config: AdloomConfig,
    private readonly tags: TagsRepository,
    private readonly events: CampaignEvents,
  ) {
    this.refreshMs = config.DELIVERY_CACHE_REFRESH;
  }

  /** The tag (revoked or not), or null when there is none. */
  get(tagId: string): TagRow | null | Promise<TagRow | null> {
    const known = this.held.get(tagId);
    if (known !== undefined) return known;
    let pending = this.loading.get(tagId);
    if (!pending) {
      const generation = this.generation;
      pending = this.tags
        .byIds([tagId])
        .then(([row]) => {
          if (generation === this.generation) this.remember(tagId, row ?? null);
          return row ?? null;
        })
        .finally(() => this.loading.delete(tagId));
      this.loading.set(tagId, pending);
    }
    return pending;
  }

  async start(): Promise<void> {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.logger.warn({ err: error }, 'tag refresh failed'));
    }, this.refreshMs).unref();
    this.unsubscribe = await this.events.subscribe(({ campaignId }) => this.drop(campaignId));
  }

  /** Re-reads every held tag. */
  async refresh(): Promise<void> {
    const ids = [...this.held.keys()];
    if (ids.length === 0) return;
    const generation = this.generation;
    const rows = new Map((await this.tags.byIds(ids)).map((row) => [row.id, row]));
    if (generation !== this.generation) return;
    for (const id of ids) if (this.held.has(id)) this.held.set(id, rows.get(id) ?? null);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
  }

  private drop(campaignId: string): void {
    this.generation++;
    for (const [id, row] of this.held) if (!row || row.campaignId === campaignId) this.held.delete(id);
  }

  private remember(tagId: string, row: TagRow | null): void {
    if (this.held.size >= MAX_HELD) this.held.delete(this.held.keys().next().value!);
    this.held.set(tagId, row);
  }
}
