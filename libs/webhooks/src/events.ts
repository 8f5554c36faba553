/**
 * Every event a webhook endpoint can receive. Add a name here to make it subscribable; emit it
 * with `Webhooks.emit(workspaceId, type, data)`.
 */
export const WEBHOOK_EVENTS = ['variant.ready', 'variant.failed', 'wave.completed', 'webhook.test'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** The JSON body of every delivery (the Standard Webhooks payload shape). */
export interface WebhookEvent<D extends object = Record<string, unknown>> {
  type: WebhookEventType;
  /** When the event happened (ISO 8601); the same on every retry. */
  timestamp: string;
  data: D;
}
