import { Inject, Injectable } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { bareHost, checkUrlShape, refuseAddresses } from './address-policy';

export const USER_AGENT = 'Adloom-Webhooks/1';

/** One POST's result: the status code, or why there was none. */
export interface SendOutcome {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** Answers DNS for the one host already checked, so the connection goes to an address we approved. */
function pinnedLookup(addresses: { address: string; family: number }[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as (e: null, a: typeof addresses) => void)(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  };
}

/**
 * The outside world for webhooks: resolves endpoint hosts, refuses non-public addresses (unless
 * WEBHOOKS_ALLOW_PRIVATE), and POSTs to them without following redirects.
 */
@Injectable()
export class WebhookSender {
  private readonly allowPrivate: boolean;
  private readonly timeoutMs: number;

  constructor(@Inject(CONFIG) config: AdloomConfig) {
    this.allowPrivate = config.WEBHOOKS_ALLOW_PRIVATE;
    this.timeoutMs = config.WEBHOOK_TIMEOUT;
  }

  /** Why `rawUrl` may not receive webhooks (the part after "url "), or undefined when it may. */
  async refusal(rawUrl: string): Promise<string | undefined> {
    const target = await this.resolve(rawUrl);
    return 'refused' in target ? target.refused : undefined;
  }

  async send(rawUrl: string, headers: Record<string, string>, body: string): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const target = await this.resolve(rawUrl);
    if ('refused' in target)
      return { statusCode: null, error: `url ${target.refused}`, durationMs: elapsed() };
    const { url, addresses } = target;
    const client = url.protocol === 'https:' ? https : http;

    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: Omit<SendOutcome, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...outcome, durationMs: elapsed() });
      };
      const request = client.request(
        url,
        {
          method: 'POST',
          agent: false,
          lookup: pinnedLookup(addresses),
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': USER_AGENT,
          },
        },
        (response) => {
          settle({ statusCode: response.statusCode ?? null, error: null });
          response.on('close', () => clearTimeout(timer));
          response.resume();
        },
      );
      const timer = setTimeout(
        () => request.destroy(new Error(`no response within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      request.on('error', (error) => {
        clearTimeout(timer);
        settle({ statusCode: null, error: error.message });
      });
      request.end(body);
    });
  }

  private async resolve(
    rawUrl: string,
  ): Promise<{ url: URL; addresses: { address: string; family: number }[] } | { refused: string }> {
    const shape = checkUrlShape(rawUrl, this.allowPrivate);
    if ('refused' in shape) return shape;
    const host = bareHost(shape.url);
    let addresses: { address: string; family: number }[];
    if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
    else {
      try {
        addresses = await lookup(host, { all: true, verbatim: true });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        return { refused: `host ${host} does not resolve (${code})` };
      }
    }
    const refused = refuseAddresses(
      host,
      addresses.map((a) => a.address),
      this.allowPrivate,
    );
    return refused ? { refused: `host ${refused}` } : { url: shape.url, addresses };
  }
}
