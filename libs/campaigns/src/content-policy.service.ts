import { Injectable } from '@nestjs/common';
import { Db } from '@adloom/db';
import { assertIfMatch, etagOf } from '@adloom/http';
import type { ContentPolicy } from '@adloom/prompts';
import { ContentPolicyInput } from './schemas';
import { json } from './sql';

export interface ContentPolicyView extends ContentPolicyInput {
  updatedAt: string;
}

interface PolicyRow {
  content_policy: Partial<ContentPolicyInput>;
  updated_at: Date;
}

const toView = (row: PolicyRow): ContentPolicyView => ({
  blockedTerms: row.content_policy.blockedTerms ?? [],
  realPeople: row.content_policy.realPeople ?? [],
  updatedAt: row.updated_at.toISOString(),
});

const policyEtag = (workspaceId: string, view: ContentPolicyView) =>
  etagOf(workspaceId, JSON.stringify([view.blockedTerms, view.realPeople]));

/** The workspace's content policy: blocked terms, and real people who may appear only with consent. */
@Injectable()
export class ContentPolicyService {
  constructor(private readonly db: Db) {}

  async get(workspaceId: string): Promise<{ view: ContentPolicyView; etag: string }> {
    const row = await this.db.one<PolicyRow>(
      'SELECT content_policy, updated_at FROM workspace WHERE id = $1',
      [workspaceId],
    );
    const view = toView(row!);
    return { view, etag: policyEtag(workspaceId, view) };
  }

  /** The policy in the form the prompts library checks texts against. */
  async policy(workspaceId: string): Promise<ContentPolicy> {
    const { view } = await this.get(workspaceId);
    return { blockedTerms: view.blockedTerms, realPeople: view.realPeople };
  }

  async replace(workspaceId: string, policy: ContentPolicyInput, ifMatch: string | undefined) {
    const view = await this.db.transaction(async (tx) => {
      const current = await this.db.one<PolicyRow>(
        'SELECT content_policy, updated_at FROM workspace WHERE id = $1 FOR UPDATE',
        [workspaceId],
        tx,
      );
      assertIfMatch(ifMatch, policyEtag(workspaceId, toView(current!)));
      const row = await this.db.one<PolicyRow>(
        `UPDATE workspace SET content_policy = $2, updated_at = now() WHERE id = $1
         RETURNING content_policy, updated_at`,
        [workspaceId, json(policy)],
        tx,
      );
      return toView(row!);
    });
    return { view, etag: policyEtag(workspaceId, view) };
  }
}
