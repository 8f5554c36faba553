import { Body, Controller, Delete, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import {
  campaignParamsSchema,
  catalogQuerySchema,
  createTagSchema,
  tagIdParamsSchema,
} from './delivery.schemas';
import { DeliveryService } from './delivery.service';
import { TagsService } from './tags.service';

class CampaignParamsDto extends createZodDto(campaignParamsSchema) {}
class CatalogQueryDto extends createZodDto(catalogQuerySchema) {}
class CreateTagDto extends createZodDto(createTagSchema) {}
class TagIdParamsDto extends createZodDto(tagIdParamsSchema) {}
class IdParamsDto extends createZodDto(tagIdParamsSchema.pick({ id: true })) {}

/** The API's delivery route: the catalog. The per-impression routes are the edge's (apps/edge). */
@ApiTags('delivery')
@ApiBearerAuth()
@Roles('platform')
@Controller('v1/delivery/:campaignId')
export class DeliveryController {
  constructor(private readonly delivery: DeliveryService) {}

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

@ApiTags('tags')
@ApiBearerAuth()
@Roles('marketer')
@Controller('v1/campaigns/:id/tags')
export class TagsController {
  constructor(private readonly tags: TagsService) {}

  @Post()
  @ApiOperation({
    summary: 'A VAST tag for a segment (and format) of the campaign',
    description:
      'Answers `vastUrl` and `adUrl` on the edge (`PUBLIC_EDGE_URL`): plain GET URLs a player or DSP calls ' +
      'with no header (a signed token in the path stands for the tag). Revoke it with DELETE; edges stop ' +
      'serving it within one refresh.',
  })
  create(@CurrentPrincipal() principal: Principal, @Param() params: IdParamsDto, @Body() body: CreateTagDto) {
    return this.tags.create(principal.workspaceId, params.id, body);
  }

  @Get()
  @ApiOperation({ summary: 'The campaign’s tags, revoked ones included' })
  list(@CurrentPrincipal() principal: Principal, @Param() params: IdParamsDto) {
    return this.tags.list(principal.workspaceId, params.id);
  }

  @Delete(':tagId')
  @ApiOperation({ summary: 'Revokes a tag: its URLs answer 404 within one edge refresh' })
  revoke(@CurrentPrincipal() principal: Principal, @Param() params: TagIdParamsDto) {
    return this.tags.revoke(principal.workspaceId, params.id, params.tagId);
  }
}
