import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@adloom/auth';
import { PixelResponder } from './pixel-responder';

@ApiTags('tracking')
@Public()
@Controller('t')
export class TrackingController {
  constructor(private readonly responder: PixelResponder) {}

  // A wildcard, not `:token`: the router refuses path parameters over 100 characters and tokens are ~120.
  // In the API the route is a hot route (PixelResponder.install), answered before Nest's pipeline the same way.
  @Get('*')
  @ApiParam({ name: '*', description: 'The signed token from a tracking URL', schema: { type: 'string' } })
  @ApiOperation({
    summary: 'Tracking pixel',
    description:
      'Counts the event the signed token stands for (once per ad serving and event) and answers a 1×1 GIF. ' +
      'Forged, altered or expired tokens get the same GIF and count nothing. A click token with ' +
      '`?redirect=1` answers 302 to the campaign landing page instead, for players that want one click URL.',
  })
  pixel(
    @Param('*') token: string,
    @Query('redirect') redirect: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const sink = {
      send: (status: number, headers: Readonly<Record<string, string>>, body?: string | Buffer) =>
        void reply.status(status).headers(headers).send(body),
    };
    return Promise.resolve(this.responder.answer(request.method, token, redirect, sink));
  }
}
