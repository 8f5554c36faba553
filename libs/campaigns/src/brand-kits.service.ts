import { Inject, Injectable } from '@nestjs/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Db, Page, PageQuery } from '@adloom/db';
import { assertIfMatch, etagOf } from '@adloom/http';
import { ObjectStore } from '@adloom/storage';
import { BrandKitRow, BrandKitsRepository } from './brand-kits.repository';
import { CampaignError } from './campaigns.errors';
import { LOGO_MAX_BYTES, LOGO_TYPES, MUSIC_MAX_BYTES, MUSIC_TYPES, mediaTypeOf } from './media-types';
import type { BrandKitData } from './render';
import { CreateBrandKit, UpdateBrandKit } from './schemas';
import { DecodedMedia, UploadDecoder } from './upload-decoder';

export interface StoredMediaView {
  key: string;
  contentType: string;
  /** A presigned GET URL. */
  url: string;
}

export interface BrandKitView {
  id: string;
  name: string;
  colors: Record<string, string>;
  font: string;
  disclaimer: string | null;
  aiDisclosure: Record<string, string>;
  logo: StoredMediaView | null;
  music: StoredMediaView | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A brand kit with what composing a render needs from S3. */
export interface BrandKitRecord extends BrandKitData {
  id: string;
  logoKey: string | null;
  logoContentType: string | null;
  musicKey: string | null;
}

const MUSIC_CONTENT_TYPES: Record<string, string> = { mp3: 'audio/mpeg', m4a: 'audio/mp4', wav: 'audio/wav' };

export const brandKitEtag = (row: BrandKitRow) => etagOf(row.id, row.version);

export function toBrandKitRecord(row: BrandKitRow): BrandKitRecord {
  return {
    id: row.id,
    name: row.name,
    colors: row.colors,
    font: row.font,
    disclaimer: row.disclaimer,
    aiDisclosure: row.ai_disclosure,
    logoKey: row.logo_key,
    logoContentType: row.logo_content_type,
    musicKey: row.music_key,
  };
}

@Injectable()
export class BrandKitsService {
  constructor(
    private readonly db: Db,
    private readonly kits: BrandKitsRepository,
    private readonly store: ObjectStore,
    private readonly decoder: UploadDecoder,
    @Inject(CONFIG) private readonly config: AdloomConfig,
  ) {}

  async create(workspaceId: string, input: CreateBrandKit) {
    const row = await this.kits.insert(workspaceId, input);
    return { view: await this.view(row), etag: brandKitEtag(row) };
  }

  async get(workspaceId: string, id: string) {
    const row = await this.require(workspaceId, id);
    return { view: await this.view(row), etag: brandKitEtag(row) };
  }

  /** The kit's data for rendering and composing, or undefined when it is not in this workspace. */
  async findRecord(workspaceId: string, id: string): Promise<BrandKitRecord | undefined> {
    const row = await this.kits.find(workspaceId, id);
    return row && toBrandKitRecord(row);
  }

  async firstRecord(workspaceId: string): Promise<BrandKitRecord | undefined> {
    const row = await this.kits.first(workspaceId);
    return row && toBrandKitRecord(row);
  }

  async list(workspaceId: string, page: PageQuery): Promise<Page<BrandKitView>> {
    const rows = await this.kits.list(workspaceId, page, (row) => row);
    return { items: await Promise.all(rows.items.map((row) => this.view(row))), nextCursor: rows.nextCursor };
  }

  async update(workspaceId: string, id: string, changes: UpdateBrandKit, ifMatch: string | undefined) {
    const row = await this.db.transaction(async (tx) => {
      const current = await this.kits.find(workspaceId, id, tx, true);
      if (!current) throw notFound(id);
      assertIfMatch(ifMatch, brandKitEtag(current));
      return this.kits.update(workspaceId, id, changes, tx);
    });
    return { view: await this.view(row), etag: brandKitEtag(row) };
  }

  /**
   * Stores a PNG or JPEG logo (≤ 2 MB, ≤ 4096×4096 and 20 megapixels), decoded and written again as a
   * PNG at brand/<workspace>/<kit>/logo.png.
   */
  putLogo(workspaceId: string, id: string, contentType: string | undefined, body: unknown) {
    return this.putMedia(workspaceId, id, contentType, body, {
      what: 'logo',
      types: LOGO_TYPES,
      maxBytes: LOGO_MAX_BYTES,
      decode: (bytes) => this.decoder.logo(bytes),
    });
  }

  /** Stores an MP3, M4A or WAV music bed (≤ 10 MB, ≤ 10 minutes), decoded and encoded again in its format. */
  putMusic(workspaceId: string, id: string, contentType: string | undefined, body: unknown) {
    return this.putMedia(workspaceId, id, contentType, body, {
      what: 'music',
      types: MUSIC_TYPES,
      maxBytes: MUSIC_MAX_BYTES,
      decode: (bytes) => this.decoder.music(bytes),
    });
  }

  private async putMedia(
    workspaceId: string,
    id: string,
    contentType: string | undefined,
    body: unknown,
    rule: {
      what: 'logo' | 'music';
      types: readonly string[];
      maxBytes: number;
      decode: (bytes: Buffer) => Promise<DecodedMedia>;
    },
  ) {
    const current = await this.require(workspaceId, id);
    const declared = mediaTypeOf(contentType);
    if (!rule.types.includes(declared) || !Buffer.isBuffer(body)) {
      throw new CampaignError(
        'invalid_media',
        `Send the ${rule.what} as the raw request body with Content-Type ${rule.types.join(' or ')}.`,
        { field: 'Content-Type', allowed: rule.types },
      );
    }
    if (body.length > rule.maxBytes) {
      throw new CampaignError(
        'media_too_large',
        `The ${rule.what} is ${body.length} bytes; the limit is ${rule.maxBytes} bytes.`,
        { field: 'body', bytes: body.length, limit: rule.maxBytes },
      );
    }
    // Decoded in full before anything is stored: a refused upload leaves no trace.
    const { bytes, kind } = await rule.decode(body);
    const key = `brand/${workspaceId}/${id}/${rule.what}.${kind.extension}`;
    await this.store.put(key, bytes, { contentType: kind.contentType });
    const previous = rule.what === 'logo' ? current.logo_key : current.music_key;
    const row = await this.kits.setMedia(
      workspaceId,
      id,
      rule.what === 'logo' ? { logoKey: key, logoContentType: kind.contentType } : { musicKey: key },
    );
    if (!row) throw notFound(id);
    if (previous && previous !== key) await this.store.delete([previous]);
    return { view: await this.view(row), etag: brandKitEtag(row) };
  }

  private async require(workspaceId: string, id: string): Promise<BrandKitRow> {
    const row = await this.kits.find(workspaceId, id);
    if (!row) throw notFound(id);
    return row;
  }

  private async media(key: string | null, contentType: string | null): Promise<StoredMediaView | null> {
    if (!key || !contentType) return null;
    return { key, contentType, url: await this.store.presign(key, this.config.PRESIGN_TTL, { contentType }) };
  }

  private async view(row: BrandKitRow): Promise<BrandKitView> {
    const musicType = row.music_key ? MUSIC_CONTENT_TYPES[row.music_key.split('.').pop() ?? ''] : null;
    return {
      id: row.id,
      name: row.name,
      colors: row.colors,
      font: row.font,
      disclaimer: row.disclaimer,
      aiDisclosure: row.ai_disclosure,
      logo: await this.media(row.logo_key, row.logo_content_type),
      music: await this.media(row.music_key, musicType ?? null),
      version: row.version,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
    };
  }
}

function notFound(id: string) {
  return new CampaignError('brand_kit_not_found', `No brand kit ${id} in this workspace.`, { field: 'id' });
}
