import { Injectable } from '@nestjs/common';
import { Db, Page, PageQuery, pageSql, Queryable, toPage } from '@adloom/db';
import type { DeclaredVariable, LocaleMessages } from '@adloom/prompts';
import { CampaignError } from './campaigns.errors';
import type { Alternatives, CaptionLine, TemplateContent } from './render';
import { json, uniqueViolation } from './sql';

export interface TemplateRow {
  id: string;
  workspace_id: string;
  name: string;
  latest_version: number;
  created_at: Date;
  updated_at: Date;
}

export interface TemplateVersionRow {
  id: string;
  workspace_id: string;
  template_id: string;
  version: number;
  prompt: string;
  headline: string;
  cta: string;
  captions: CaptionLine[];
  variables: DeclaredVariable[];
  locales: LocaleMessages;
  alternatives: Alternatives;
  used_variables: string[];
  created_at: Date;
}

const TEMPLATE_COLUMNS = 'id, workspace_id, name, latest_version, created_at, updated_at';
const VERSION_COLUMNS = `id, workspace_id, template_id, version, prompt, headline, cta, captions, variables, locales,
  alternatives, used_variables, created_at`;

@Injectable()
export class TemplatesRepository {
  constructor(private readonly db: Db) {}

  async insertTemplate(workspaceId: string, name: string, via: Queryable): Promise<TemplateRow> {
    try {
      const row = await this.db.one<TemplateRow>(
        `INSERT INTO template (workspace_id, name) VALUES ($1, $2) RETURNING ${TEMPLATE_COLUMNS}`,
        [workspaceId, name],
        via,
      );
      return row!;
    } catch (error) {
      if (uniqueViolation(error) !== undefined)
        throw new CampaignError('name_taken', `A template named "${name}" already exists.`, {
          field: 'name',
        });
      throw error;
    }
  }

  /** Appends the next numbered version (1, 2, 3…); the template row is locked while it is numbered. */
  async insertVersion(
    workspaceId: string,
    templateId: string,
    content: TemplateContent,
    usedVariables: string[],
    via: Queryable,
  ): Promise<TemplateVersionRow | undefined> {
    const numbered = await this.db.one<{ latest_version: number }>(
      `UPDATE template SET latest_version = latest_version + 1, updated_at = now()
       WHERE workspace_id = $1 AND id = $2 RETURNING latest_version`,
      [workspaceId, templateId],
      via,
    );
    if (!numbered) return undefined;
    return this.db.one<TemplateVersionRow>(
      `INSERT INTO template_version (workspace_id, template_id, version, prompt, headline, cta, captions, variables,
         locales, alternatives, used_variables)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${VERSION_COLUMNS}`,
      [
        workspaceId,
        templateId,
        numbered.latest_version,
        content.prompt,
        content.headline,
        content.cta,
        json(content.captions),
        json(content.variables),
        json(content.locales),
        json(content.alternatives),
        usedVariables,
      ],
      via,
    );
  }

  findTemplate(workspaceId: string, id: string): Promise<TemplateRow | undefined> {
    return this.db.one<TemplateRow>(
      `SELECT ${TEMPLATE_COLUMNS} FROM template WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, id],
    );
  }

  versionsOf(workspaceId: string, templateId: string): Promise<TemplateVersionRow[]> {
    return this.db.query<TemplateVersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM template_version WHERE workspace_id = $1 AND template_id = $2 ORDER BY version`,
      [workspaceId, templateId],
    );
  }

  /** One version of a template; the latest when `version` is absent. */
  findVersion(
    workspaceId: string,
    templateId: string,
    version?: number,
    via?: Queryable,
  ): Promise<TemplateVersionRow | undefined> {
    return this.db.one<TemplateVersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM template_version
       WHERE workspace_id = $1 AND template_id = $2 AND ($3::int IS NULL OR version = $3)
       ORDER BY version DESC LIMIT 1`,
      [workspaceId, templateId, version ?? null],
      via,
    );
  }

  versionsByIds(workspaceId: string, ids: string[], via?: Queryable): Promise<TemplateVersionRow[]> {
    return this.db.query<TemplateVersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM template_version WHERE workspace_id = $1 AND id = ANY($2::uuid[])`,
      [workspaceId, ids],
      via,
    );
  }

  async list<T>(workspaceId: string, page: PageQuery, view: (row: TemplateRow) => T): Promise<Page<T>> {
    const q = pageSql(
      `SELECT ${TEMPLATE_COLUMNS} FROM template WHERE workspace_id = $1 AND $cursorClause
       ORDER BY created_at, id LIMIT $limit`,
      [workspaceId],
      page,
    );
    return toPage(await this.db.query<TemplateRow>(q.sql, q.params), page, view);
  }
}
