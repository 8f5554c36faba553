import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { toProblem } from '@adloom/http';
import { EngagementRepository } from './engagement.repository';
import { PixelIntake } from './pixel-intake';

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
export const PIXEL_ROUTE = '/t/*';

/**
 * The tracking pixel's answer: the event counts (a HEAD request, as link checkers send, does not),
 * then a 1×1 GIF, or for a click token with `?redirect=1` a 302 to the campaign's landing page.
 * Pixels are the most frequent request of all (up to seven per ad), so `install` answers them from a
 * Fastify `onRequest` hook, before Nest's pipeline; `TrackingController` declares the route and
 * answers the same way where the hook is not installed.
 */
@Injectable()
export class PixelResponder {
  constructor(
    private readonly pixels: PixelIntake,
    private readonly repository: EngagementRepository,
  ) {}

  install(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, reply, done) => {
      if (request.routeOptions.url !== PIXEL_ROUTE) return done();
      const { '*': token } = request.params as { '*': string };
      const { redirect } = request.query as { redirect?: string };
      this.answer(request.method, token, redirect, reply).catch((error: unknown) => {
        const problem = { ...toProblem(error, '/t/'), requestId: request.id };
        void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
      });
    });
  }

  async answer(
    method: string,
    token: string,
    redirect: string | undefined,
    reply: FastifyReply,
  ): Promise<void> {
    if (method === 'HEAD') return this.gif(reply);
    const verdict = this.pixels.track(token);
    if (this.pixels.draining) await this.pixels.flush();
    if (verdict.ok && verdict.payload.event === 'click' && redirect !== undefined) {
      const landingUrl = await this.repository.landingUrl(verdict.payload.campaignId);
      if (landingUrl) {
        await reply.status(302).header('cache-control', 'no-store').header('location', landingUrl).send();
        return;
      }
    }
    return this.gif(reply);
  }

  private async gif(reply: FastifyReply): Promise<void> {
    await reply
      .status(200)
      .header('cache-control', 'no-store')
      .header('content-type', 'image/gif')
      .send(PIXEL);
  }
}
