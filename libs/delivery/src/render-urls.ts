import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '@adloom/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { ObjectStore } from '@adloom/storage';

export interface ObjectUrl {
  url: string;
  /** Epoch milliseconds after which the URL is refused; null for a CDN URL, which does not expire. */
  expiresAt: number | null;
  /** The same as ISO 8601, written once per URL. */
  expiresAtIso: string | null;
}

interface Presigned extends ObjectUrl {
  expiresAt: number;
  expiresAtIso: string;
  /** Past this (half its life), a fresh URL is signed; until three quarters the held one is still served. */
  renewAt: number;
  staleAt: number;
}

const MAX_HELD = 50_000;

/**
 * URLs players download renders from. With `PUBLIC_RENDER_BASE_URL` (a CDN in front of the bucket)
 * a URL is that base and the object key. Otherwise it is a presigned S3 GET valid for `PRESIGN_TTL`;
 * a URL is reused until half its life is gone, then served while a new one is signed in the
 * background, so the request path signs nothing except on a render's first request (or after a
 * render went unrequested for most of a TTL). Every URL handed out has at least a quarter of
 * `PRESIGN_TTL` left.
 */
@Injectable()
export class RenderUrls {
  private readonly logger = new Logger('delivery');
  private readonly cdnBase: string | undefined;
  private readonly ttlSeconds: number;
  private readonly held = new Map<string, Presigned>();
  private readonly signing = new Map<string, Promise<Presigned>>();

  constructor(
    @Inject(CONFIG) config: AdloomConfig,
    private readonly store: ObjectStore,
    private readonly clock: Clock,
  ) {
    this.cdnBase = config.PUBLIC_RENDER_BASE_URL?.replace(/\/+$/, '');
    this.ttlSeconds = Math.max(1, Math.round(config.PRESIGN_TTL / 1000));
  }

  /** The URL at once when one is held, else a promise of a freshly signed one. */
  urlFor(key: string): ObjectUrl | Promise<ObjectUrl> {
    if (this.cdnBase) {
      const url = `${this.cdnBase}/${key.split('/').map(encodeURIComponent).join('/')}`;
      return { url, expiresAt: null, expiresAtIso: null };
    }
    const now = this.clock.nowMs();
    const held = this.held.get(key);
    if (held && now < held.renewAt) return held;
    if (held && now < held.staleAt) {
      void this.sign(key).catch((error: unknown) =>
        this.logger.warn({ err: error }, `could not presign ${key}`),
      );
      return held;
    }
    return this.sign(key);
  }

  private sign(key: string): Promise<Presigned> {
    const pending = this.signing.get(key);
    if (pending) return pending;
    // S3 counts the lifetime from the signing second, so the expiry is computed from the second too.
    const issuedAt = Math.floor(this.clock.nowMs() / 1000) * 1000;
    const signed = this.store
      .presign(key, this.ttlSeconds * 1000)
      .then((url) => {
        const ttl = this.ttlSeconds * 1000;
        const entry: Presigned = {
          url,
          expiresAt: issuedAt + ttl,
          expiresAtIso: new Date(issuedAt + ttl).toISOString(),
          renewAt: issuedAt + ttl / 2,
          staleAt: issuedAt + (ttl * 3) / 4,
        };
        if (this.held.size >= MAX_HELD) this.held.clear();
        this.held.set(key, entry);
        return entry;
      })
      .finally(() => this.signing.delete(key));
    this.signing.set(key, signed);
    return signed;
  }
}
