import { Injectable } from '@nestjs/common';
import { AnswerSink, HotRoutes } from '@adloom/http';
import { EngagementRepository } from './engagement.repository';
import { PixelIntake } from './pixel-intake';

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
const GIF_HEADERS = { 'cache-control': 'no-store', 'content-type': 'image/gif' };
export const PIXEL_ROUTE = '/t/*';

/**
 * The tracking pixel's answer, once the event is in the engagement log (a HEAD request, as link
 * checkers send, counts nothing): a 1×1 GIF, or for a click token with `?redirect=1` a 302 to the
 * campaign's landing page. `install` makes `/t/*` a hot route of the API until the edge serves it;
 * `TrackingController` declares the route (OpenAPI).
 */
@Injectable()
export class PixelResponder {
  constructor(
    private readonly pixels: PixelIntake,
    private readonly repository: EngagementRepository,
  ) {}

  install(routes: HotRoutes): void {
    routes.add('/t/', {
      name: PIXEL_ROUTE,
      methods: ['GET', 'HEAD'],
      pattern: /^\/t\/(?<token>.+)$/,
      handler: (request, reply) => {
        const redirect = request.query.redirect;
        return this.answer(
          request.method,
          request.params.token,
          typeof redirect === 'string' ? redirect : redirect?.[0],
          reply,
        );
      },
    });
  }

  async answer(
    method: string,
    token: string,
    redirect: string | undefined,
    reply: AnswerSink,
  ): Promise<void> {
    if (method === 'HEAD') return reply.send(200, GIF_HEADERS, PIXEL);
    const verdict = await this.pixels.track(token);
    if (verdict.ok && verdict.payload.event === 'click' && redirect !== undefined) {
      const landingUrl = await this.repository.landingUrl(verdict.payload.campaignId);
      if (landingUrl) return reply.send(302, { 'cache-control': 'no-store', location: landingUrl });
    }
    reply.send(200, GIF_HEADERS, PIXEL);
  }
}
