import { INestApplicationContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdloomConfig } from '@adloom/config';
import { DeliveryError, TagDirectory, TagRow, verifyTag } from '@adloom/delivery';
import { trackingSecrets } from '@adloom/engagement';
import type { Caller } from './server';

/**
 * A tag route's caller: the signed token in the path, checked with the tracking secrets, then the tag
 * in the edge's directory (revoked tags refused). A forged token costs no lookup.
 */
export class TagAccess {
  private readonly directory: TagDirectory;
  private readonly secrets: string[] | undefined;
  private readonly problem: string | undefined;

  constructor(context: INestApplicationContext, config: AdloomConfig) {
    this.directory = context.get(TagDirectory);
    const secrets = trackingSecrets(config);
    if ('secrets' in secrets) this.secrets = secrets.secrets;
    else this.problem = secrets.problem;
  }

  start(): Promise<void> {
    return this.directory.start();
  }

  caller(request: FastifyRequest): Caller | Promise<Caller> {
    if (!this.secrets) throw new DeliveryError('tracking_not_configured', this.problem!);
    const token = (request.params as { tag?: string }).tag ?? '';
    const tagId = verifyTag(token, this.secrets);
    if (!tagId) throw notFound();
    const row = this.directory.get(tagId);
    return row instanceof Promise ? row.then(callerOf) : callerOf(row);
  }
}

function callerOf(row: TagRow | null): Caller {
  if (!row) throw notFound();
  if (row.revokedAt) {
    throw new DeliveryError('tag_revoked', `This tag was revoked at ${row.revokedAt.toISOString()}.`, {
      field: 'path.tag',
    });
  }
  return {
    kind: 'tag',
    tag: {
      id: row.id,
      workspaceId: row.workspaceId,
      campaignId: row.campaignId,
      segment: row.segmentKey,
      ...(row.format ? { format: row.format } : {}),
    },
  };
}

function notFound() {
  return new DeliveryError('tag_not_found', 'No such tag.', { field: 'path.tag' });
}
