import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { adQuerySchema, campaignParamsSchema, catalogQuerySchema } from './delivery.schemas';
import { DeliveryService } from './delivery.service';

class CampaignParamsDto extends createZodDto(campaignParamsSchema) {}
class AdQueryDto extends createZodDto(adQuerySchema) {}
class CatalogQueryDto extends createZodDto(catalogQuerySchema) {}

@ApiTags('delivery')
@ApiBearerAuth()
@Roles('platform')
@Controller('v1/delivery/:campaignId')
export class DeliveryController {
  constructor(private readonly delivery: DeliveryService) {}

  @Get('ad')
  @ApiOperation({
    summary: 'The ad to play for a segment and format',
    description:
      'Chooses an approved variant by the current weights (the same `viewer` gets the same variant while ' +
      'the weights stand) and answers its render URL and expiry, size, duration, captions, and one signed ' +
      'tracking URL per event. 404 when the campaign is not live (the problem says paused when it is).',
  })
  // In the API this is a hot route (DeliveryFastPath), answered before Nest's pipeline the same way.
  async ad(
    @CurrentPrincipal() principal: Principal,
    @Param() params: CampaignParamsDto,
    @Query() query: AdQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    void reply.header('content-type', 'application/json; charset=utf-8');
    return this.delivery.adJson(principal.workspaceId, params.campaignId, query);
  }

  // A hot route in the API, like `ad`.
  @Get('vast')
  @ApiProduces('application/xml')
  @ApiOperation({
    summary: 'The same choice as a VAST 4.2 InLine document',
    description: 'An empty VAST (no Ad) when the segment has nothing to serve in the format.',
  })
  async vast(
    @CurrentPrincipal() principal: Principal,
    @Param() params: CampaignParamsDto,
    @Query() query: AdQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const xml = await this.delivery.vast(principal.workspaceId, params.campaignId, query);
    void reply.header('content-type', 'application/xml; charset=utf-8').header('cache-control', 'no-store');
    return xml;
  }

  @Get('catalog')
  @ApiOperation({
    summary: 'Every approved render by segment and format',
    description: 'With an ETag; send it back as If-None-Match to get 304 while nothing changed.',
  })
  async catalog(
    @CurrentPrincipal() principal: Principal,
    @Param() params: CampaignParamsDto,
    @Query() query: CatalogQueryDto,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { etag, catalog } = await this.delivery.catalog(
      principal.workspaceId,
      params.campaignId,
      query.segment,
    );
    void reply.header('etag', etag).header('cache-control', 'private, no-cache');
    if (ifNoneMatch?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      void reply.status(304);
      return undefined;
    }
    return catalog;
  }
}
