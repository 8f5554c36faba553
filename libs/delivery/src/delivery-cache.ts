import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '@adloom/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { CampaignEvents } from '@adloom/queue';
import { DeliveryRepository } from './delivery.repository';
import { buildSnapshot, CampaignSnapshot } from './snapshot';

/** A campaign nobody asked for in this long is dropped from memory. */
const IDLE_MS = 10 * 60_000;
/** At most this many ids not found are remembered (a flood of made-up ids cannot grow memory). */
const MAX_MISSING = 10_000;

interface Entry {
  snapshot: CampaignSnapshot;
  usedAt: number;
}

/**
 * Campaigns as delivery serves them, in this process's memory (each edge process holds its own): a
 * request reads a snapshot and touches no database. A campaign is loaded on its first request. Every
 * `DELIVERY_CACHE_REFRESH` (1 s by default) one query fetches the fingerprints of all campaigns held
 * (status, version, approved renders, allocations) and those that changed are reloaded, so a pause,
 * an approval or new weights show within that interval whoever wrote them; a `campaign.changed`
 * event (launch, pause, approve, the optimiser) reloads the campaign at once.
 */
@Injectable()
export class DeliveryCache implements OnApplicationShutdown {
  private readonly logger = new Logger('delivery');
  private readonly entries = new Map<string, Entry>();
  /** Ids with no campaign, remembered until the next refresh. */
  private readonly absent = new Set<string>();
  private readonly loading = new Map<string, Promise<CampaignSnapshot | null>>();
  private readonly refreshMs: number;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    @Inject(CONFIG) config: AdloomConfig,
    private readonly repository: DeliveryRepository,
    private readonly events: CampaignEvents,
    private readonly clock: Clock,
  ) {
    this.refreshMs = config.DELIVERY_CACHE_REFRESH;
  }

  /** The snapshot if held (null: known not to exist); undefined when it must be loaded with `get`. */
  peek(campaignId: string): CampaignSnapshot | null | undefined {
    const entry = this.entries.get(campaignId);
    if (!entry) return this.absent.has(campaignId) ? null : undefined;
    entry.usedAt = this.clock.nowMs();
    return entry.snapshot;
  }

  async get(campaignId: string): Promise<CampaignSnapshot | null> {
    const held = this.peek(campaignId);
    return held !== undefined ? held : this.load(campaignId);
  }

  /** The campaign changed (status, variants, renders or weights): resolves once this process serves the new state. */
  async changed(campaignId: string): Promise<void> {
    this.absent.delete(campaignId);
    if (this.entries.has(campaignId)) await this.reload(campaignId);
  }

  /** Starts the refresh timer and listens for `campaign.changed`; resolves once subscribed. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'delivery cache refresh failed'),
      );
    }, this.refreshMs).unref();
    this.unsubscribe = await this.events.subscribe(({ campaignId }) => {
      this.changed(campaignId).catch((error: unknown) =>
        this.logger.warn({ err: error }, `could not reload campaign ${campaignId}`),
      );
    });
  }

  /** Reloads the campaigns whose fingerprint changed and forgets idle ones; runs on the timer. */
  async refresh(): Promise<void> {
    // One that starts after now: a check already running may have read before the latest change.
    while (this.refreshing) await this.refreshing.catch(() => undefined);
    this.refreshing = this.checkFingerprints().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private load(campaignId: string): Promise<CampaignSnapshot | null> {
    const pending = this.loading.get(campaignId);
    if (pending) return pending;
    const loaded = this.read(campaignId)
      .then((snapshot) => {
        this.store(campaignId, snapshot);
        return snapshot;
      })
      .finally(() => this.loading.delete(campaignId));
    this.loading.set(campaignId, loaded);
    if (!this.timer) {
      this.start().catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not subscribe to campaign.changed; refreshing on the timer'),
      );
    }
    return loaded;
  }

  /** A load that starts after now (one already running may have read the state before a change). */
  private async reload(campaignId: string): Promise<CampaignSnapshot | null> {
    await this.loading.get(campaignId)?.catch(() => undefined);
    return this.load(campaignId);
  }

  private async read(campaignId: string): Promise<CampaignSnapshot | null> {
    const campaign = await this.repository.campaign(campaignId);
    if (!campaign) return null;
    const { fingerprint, ...row } = campaign;
    if (row.status !== 'live') return buildSnapshot(row, fingerprint, [], []);
    const [renders, allocations] = await Promise.all([
      this.repository.renders(campaignId),
      this.repository.allocations(campaignId),
    ]);
    return buildSnapshot(row, fingerprint, renders, allocations);
  }

  private store(campaignId: string, snapshot: CampaignSnapshot | null): void {
    if (snapshot === null) {
      this.entries.delete(campaignId);
      if (this.absent.size < MAX_MISSING) this.absent.add(campaignId);
      return;
    }
    this.absent.delete(campaignId);
    const usedAt = this.entries.get(campaignId)?.usedAt ?? this.clock.nowMs();
    this.entries.set(campaignId, { snapshot, usedAt });
  }

  private async checkFingerprints(): Promise<void> {
    const now = this.clock.nowMs();
    this.absent.clear();
    const held: string[] = [];
    for (const [campaignId, entry] of this.entries) {
      if (now - entry.usedAt > IDLE_MS) this.entries.delete(campaignId);
      else held.push(campaignId);
    }
    if (held.length === 0) return;
    const current = await this.repository.fingerprints(held);
    const changed = held.filter((id) => current.get(id) !== this.entries.get(id)?.snapshot.fingerprint);
    await Promise.all(changed.map((id) => this.load(id)));
  }
}
