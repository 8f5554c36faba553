import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { ObjectStore } from '@adloom/storage';
import { CaptionsRepository } from './captions.repository';
import { ConsoleError } from './console.errors';

class RenderIdDto extends createZodDto(z.object({ id: z.uuid() })) {}

@ApiTags('renders')
@ApiBearerAuth()
@Roles('marketer', 'analyst')
@Controller('v1/renders')
export class CaptionsController {
  constructor(
    private readonly captions: CaptionsRepository,
    private readonly store: ObjectStore,
  ) {}

  /**
   * Served from this origin so a page on it can attach them as a `<track>`: a text track from another
   * origin (the bucket) loads only when the bucket sends CORS headers, which it need not.
   */
  @Get(':id/captions')
  @ApiProduces('text/vtt')
  @ApiOperation({ summary: "A render's captions as WebVTT" })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param() params: RenderIdDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const render = await this.captions.find(principal.workspaceId, params.id);
    if (!render) {
      throw new ConsoleError('render_not_found', `No render ${params.id} in this workspace.`, {
        field: 'path.id',
      });
    }
    if (!render.captionsVttKey) {
      throw new ConsoleError('captions_not_found', `Render ${params.id} has no captions.`, {
        field: 'path.id',
      });
    }
    const body = await this.store.get(render.captionsVttKey);
    void reply
      .header('content-type', 'text/vtt; charset=utf-8')
      .header('cache-control', 'private, max-age=3600');
    return body;
  }
}
