import { Injectable } from '@nestjs/common';
import { Db, Page, PageQuery } from '@adloom/db';
import { etagOf } from '@adloom/http';
import { BrandKitsService } from './brand-kits.service';
import { CampaignError } from './campaigns.errors';
import { ContentPolicyService } from './content-policy.service';
import {
  assertAdWithinPolicy,
  renderAd,
  RenderedAd,
  TemplateContent,
  validateTemplateContent,
} from './render';
import { canonicalLocale, CreateTemplate, PreviewRequest, TemplateVersionInput } from './schemas';
import { segmentNotFound, SegmentsService } from './segments.service';
import { TemplateRow, TemplatesRepository, TemplateVersionRow } from './templates.repository';

export interface TemplateVersionView extends TemplateContent {
  id: string;
  templateId: string;
  version: number;
  usedVariables: string[];
  createdAt: string;
}

export interface TemplateView {
  id: string;
  name: string;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
  versions?: TemplateVersionView[];
}

/** One immutable version, as the planner renders it. */
export interface TemplateVersionRecord {
  id: string;
  templateId: string;
  version: number;
  content: TemplateContent;
}

export interface PreviewView extends RenderedAd {
  templateId: string;
  templateVersionId: string;
  version: number;
  segmentId: string;
  segmentKey: string;
  brandKitId: string | null;
}

export const contentOf = (row: TemplateVersionRow): TemplateContent => ({
  prompt: row.prompt,
  headline: row.headline,
  cta: row.cta,
  captions: row.captions,
  variables: row.variables,
  locales: row.locales,
  alternatives: row.alternatives,
});

export const toTemplateVersionView = (row: TemplateVersionRow): TemplateVersionView => ({
  id: row.id,
  templateId: row.template_id,
  version: row.version,
  ...contentOf(row),
  usedVariables: row.used_variables,
  createdAt: row.created_at.toISOString(),
});

export const toTemplateVersionRecord = (row: TemplateVersionRow): TemplateVersionRecord => ({
  id: row.id,
  templateId: row.template_id,
  version: row.version,
  content: contentOf(row),
});

const toTemplateView = (row: TemplateRow, versions?: TemplateVersionRow[]): TemplateView => ({
  id: row.id,
  name: row.name,
  latestVersion: row.latest_version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  ...(versions ? { versions: versions.map(toTemplateVersionView) } : {}),
});

const templateEtag = (row: TemplateRow) => etagOf(row.id, row.latest_version, row.updated_at);

function contentFrom(input: TemplateVersionInput): TemplateContent {
  return {
    prompt: input.prompt,
    headline: input.headline,
    cta: input.cta,
    captions: input.captions,
    variables: input.variables,
    locales: Object.fromEntries(
      Object.entries(input.locales).map(([tag, messages]) => [canonicalLocale(tag) ?? tag, messages]),
    ),
    alternatives: input.alternatives,
  };
}

@Injectable()
export class TemplatesService {
  constructor(
    private readonly db: Db,
    private readonly templates: TemplatesRepository,
    private readonly segments: SegmentsService,
    private readonly brandKits: BrandKitsService,
    private readonly contentPolicy: ContentPolicyService,
  ) {}

  /** Creates a template with its version 1; nothing is stored when any text is refused. */
  async create(workspaceId: string, input: CreateTemplate) {
    const content = contentFrom(input);
    const { usedVariables } = validateTemplateContent(content);
    const [template, version] = await this.db.transaction(async (tx) => {
      const row = await this.templates.insertTemplate(workspaceId, input.name, tx);
      const first = await this.templates.insertVersion(workspaceId, row.id, content, usedVariables, tx);
      return [row, first!] as const;
    });
    const current = { ...template, latest_version: version.version };
    return { view: toTemplateView(current, [version]), etag: templateEtag(current) };
  }

  /** Appends an immutable version numbered one past the latest. */
  async addVersion(workspaceId: string, templateId: string, input: TemplateVersionInput) {
    const content = contentFrom(input);
    const { usedVariables } = validateTemplateContent(content);
    const row = await this.db.transaction((tx) =>
      this.templates.insertVersion(workspaceId, templateId, content, usedVariables, tx),
    );
    if (!row) throw templateNotFound(templateId, 'id');
    return toTemplateVersionView(row);
  }

  async get(workspaceId: string, id: string) {
    const row = await this.templates.findTemplate(workspaceId, id);
    if (!row) throw templateNotFound(id, 'id');
    const versions = await this.templates.versionsOf(workspaceId, id);
    return { view: toTemplateView(row, versions), etag: templateEtag(row) };
  }

  list(workspaceId: string, page: PageQuery): Promise<Page<TemplateView>> {
    return this.templates.list(workspaceId, page, (row) => toTemplateView(row));
  }

  /** One version of a template (the latest when `version` is absent), or a 404 naming `field`. */
  async version(
    workspaceId: string,
    templateId: string,
    version: number | undefined,
    fields: { template: string; version: string },
  ): Promise<TemplateVersionRecord> {
    const row = await this.templates.findVersion(workspaceId, templateId, version);
    if (row) return toTemplateVersionRecord(row);
    if (version !== undefined && (await this.templates.findTemplate(workspaceId, templateId))) {
      throw new CampaignError(
        'template_version_not_found',
        `Template ${templateId} has no version ${version}.`,
        {
          field: fields.version,
        },
      );
    }
    throw templateNotFound(templateId, fields.template);
  }

  /**
   * Renders a version for one segment and locale exactly as generation will, and checks the result
   * against the workspace's content policy. Nothing is generated or stored.
   */
  async preview(workspaceId: string, templateId: string, request: PreviewRequest): Promise<PreviewView> {
    const version = await this.version(workspaceId, templateId, request.version, {
      template: 'id',
      version: 'version',
    });
    const segment = await this.segments.findRecord(workspaceId, request.segmentId);
    if (!segment) throw segmentNotFound(request.segmentId, 'segmentId');
    const locale = request.locale ? (canonicalLocale(request.locale) ?? request.locale) : segment.locales[0];
    if (!segment.locales.includes(locale)) {
      throw new CampaignError(
        'locale_not_in_segment',
        `Segment "${segment.key}" is in ${segment.locales.join(', ')}, not ${locale}.`,
        { field: 'locale', locales: segment.locales },
      );
    }
    const brand = request.brandKitId
      ? await this.brandKits.findRecord(workspaceId, request.brandKitId)
      : await this.brandKits.firstRecord(workspaceId);
    if (request.brandKitId && !brand) {
      throw new CampaignError(
        'brand_kit_not_found',
        `No brand kit ${request.brandKitId} in this workspace.`,
        {
          field: 'brandKitId',
        },
      );
    }
    const ad = renderAd({ template: version.content, segment, locale, brand });
    assertAdWithinPolicy(ad, await this.contentPolicy.policy(workspaceId));
    return {
      templateId,
      templateVersionId: version.id,
      version: version.version,
      segmentId: segment.id,
      segmentKey: segment.key,
      brandKitId: brand?.id ?? null,
      ...ad,
    };
  }
}

export function templateNotFound(id: string, field: string) {
  return new CampaignError('template_not_found', `No template ${id} in this workspace.`, { field });
}
