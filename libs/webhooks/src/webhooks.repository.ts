import { Injectable } from '@nestjs/common';
import { Db, Page, PageQuery, pageSql, toPage } from '@adloom/db';
import { WebhookEvent, WebhookEventType } from './events';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookEndpointRow {
  id: string;
  workspace_id: string;
  url: string;
  events: WebhookEventType[];
  secret: string;
  enabled: boolean;
  created_at: Date;
}

export interface WebhookEndpointView {
  id: string;
  url: string;
  events: WebhookEventType[];
  enabled: boolean;
  createdAt: string;
}

/** One try at delivering: when, what the receiver answered (or why it could not), how long it took. */
export interface DeliveryAttempt {
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** When the next try is due; null when this was the last one. */
  nextAttemptAt: string | null;
}

export interface WebhookDeliveryRow {
  id: string;
  workspace_id: string;
  endpoint_id: string;
  event_type: WebhookEventType;
  payload: WebhookEvent;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  created_at: Date;
  delivered_at: Date | null;
}

export interface WebhookDeliveryView {
  id: string;
  endpointId: string;
  eventType: WebhookEventType;
  payload: WebhookEvent;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  createdAt: string;
  deliveredAt: string | null;
}

/** What the delivery job needs: the delivery and, joined, where and how to send it. */
export interface DeliveryTarget {
  id: string;
  endpoint_id: string;
  event_type: WebhookEventType;
  payload: WebhookEvent;
  status: DeliveryStatus;
  attempt_count: number;
  url: string;
  secret: string;
  enabled: boolean;
}

export const toEndpointView = (row: WebhookEndpointRow): WebhookEndpointView => ({
  id: row.id,
  url: row.url,
  events: row.events,
  enabled: row.enabled,
  createdAt: row.created_at.toISOString(),
});

export const toDeliveryView = (row: WebhookDeliveryRow): WebhookDeliveryView => ({
  id: row.id,
  endpointId: row.endpoint_id,
  eventType: row.event_type,
  payload: row.payload,
  status: row.status,
  attempts: row.attempts,
  createdAt: row.created_at.toISOString(),
  deliveredAt: row.delivered_at?.toISOString() ?? null,
});

const ENDPOINT_COLUMNS = 'id, workspace_id, url, events, secret, enabled, created_at';
const DELIVERY_COLUMNS =
  'id, workspace_id, endpoint_id, event_type, payload, status, attempts, created_at, delivered_at';

@Injectable()
export class WebhooksRepository {
  constructor(private readonly db: Db) {}

  async insertEndpoint(
    workspaceId: string,
    endpoint: { url: string; events: WebhookEventType[]; secret: string },
  ): Promise<WebhookEndpointRow> {
    const row = await this.db.one<WebhookEndpointRow>(
      `INSERT INTO webhook_endpoint (workspace_id, url, events, secret) VALUES ($1, $2, $3::text[], $4)
       RETURNING ${ENDPOINT_COLUMNS}`,
      [workspaceId, endpoint.url, endpoint.events, endpoint.secret],
    );
    return row!;
  }

  async listEndpoints(workspaceId: string, page: PageQuery): Promise<Page<WebhookEndpointView>> {
    const q = pageSql(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint
       WHERE workspace_id = $1 AND $cursorClause ORDER BY created_at, id LIMIT $limit`,
      [workspaceId],
      page,
    );
    return toPage(await this.db.query<WebhookEndpointRow>(q.sql, q.params), page, toEndpointView);
  }

  findEndpoint(workspaceId: string, id: string): Promise<WebhookEndpointRow | undefined> {
    return this.db.one<WebhookEndpointRow>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, id],
    );
  }

  updateEndpoint(
    workspaceId: string,
    id: string,
    patch: { url?: string; events?: WebhookEventType[]; enabled?: boolean },
  ): Promise<WebhookEndpointRow | undefined> {
    return this.db.one<WebhookEndpointRow>(
      `UPDATE webhook_endpoint
       SET url = coalesce($3, url), events = coalesce($4::text[], events), enabled = coalesce($5, enabled)
       WHERE workspace_id = $1 AND id = $2
       RETURNING ${ENDPOINT_COLUMNS}`,
      [workspaceId, id, patch.url ?? null, patch.events ?? null, patch.enabled ?? null],
    );
  }

  async deleteEndpoint(workspaceId: string, id: string): Promise<boolean> {
    const rows = await this.db.query(
      'DELETE FROM webhook_endpoint WHERE workspace_id = $1 AND id = $2 RETURNING id',
      [workspaceId, id],
    );
    return rows.length > 0;
  }

  async disableEndpoint(id: string): Promise<void> {
    await this.db.query('UPDATE webhook_endpoint SET enabled = false WHERE id = $1', [id]);
  }

  /** One pending delivery per enabled endpoint of the workspace subscribed to the event's type. */
  async insertDeliveriesForEvent(workspaceId: string, event: WebhookEvent): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO webhook_delivery (workspace_id, endpoint_id, event_type, payload)
       SELECT workspace_id, id, $2, $3::jsonb FROM webhook_endpoint
       WHERE workspace_id = $1 AND enabled AND $2 = ANY(events)
       RETURNING id`,
      [workspaceId, event.type, JSON.stringify(event)],
    );
    return rows.map((r) => r.id);
  }

  async insertDelivery(
    workspaceId: string,
    endpointId: string,
    event: WebhookEvent,
  ): Promise<WebhookDeliveryRow> {
    const row = await this.db.one<WebhookDeliveryRow>(
      `INSERT INTO webhook_delivery (workspace_id, endpoint_id, event_type, payload)
       VALUES ($1, $2, $3, $4::jsonb) RETURNING ${DELIVERY_COLUMNS}`,
      [workspaceId, endpointId, event.type, JSON.stringify(event)],
    );
    return row!;
  }

  async listDeliveries(
    workspaceId: string,
    endpointId: string,
    page: PageQuery,
    status?: DeliveryStatus,
  ): Promise<Page<WebhookDeliveryView>> {
    const q = pageSql(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery
       WHERE workspace_id = $1 AND endpoint_id = $2 AND ($3::text IS NULL OR status = $3) AND $cursorClause
       ORDER BY created_at, id LIMIT $limit`,
      [workspaceId, endpointId, status ?? null],
      page,
    );
    return toPage(await this.db.query<WebhookDeliveryRow>(q.sql, q.params), page, toDeliveryView);
  }

  findDeliveryTarget(deliveryId: string): Promise<DeliveryTarget | undefined> {
    return this.db.one<DeliveryTarget>(
      `SELECT d.id, d.endpoint_id, d.event_type, d.payload, d.status,
              jsonb_array_length(d.attempts)::int AS attempt_count, e.url, e.secret, e.enabled
       FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id
       WHERE d.id = $1`,
      [deliveryId],
    );
  }

  /**
   * Appends an attempt and sets the status, only if the delivery is still pending with
   * `attemptsBefore` attempts: false means another run already recorded this attempt.
   */
  async recordAttempt(
    deliveryId: string,
    attemptsBefore: number,
    attempt: DeliveryAttempt,
    status: DeliveryStatus,
  ): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE webhook_delivery
       SET attempts = attempts || jsonb_build_array($3::jsonb), status = $4,
           delivered_at = CASE WHEN $4 = 'delivered' THEN now() ELSE delivered_at END
       WHERE id = $1 AND status = 'pending' AND jsonb_array_length(attempts) = $2
       RETURNING id`,
      [deliveryId, attemptsBefore, JSON.stringify(attempt), status],
    );
    return rows.length > 0;
  }
}
