import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { CampaignsService } from './campaigns.service';
import {
  bulkApproveSchema,
  campaignListSchema,
  createCampaignSchema,
  idParamSchema,
  updateCampaignSchema,
  variantListSchema,
} from './schemas';
import { VariantsService } from './variants.service';

class CreateCampaignDto extends createZodDto(createCampaignSchema) {}
class UpdateCampaignDto extends createZodDto(updateCampaignSchema) {}
class CampaignListDto extends createZodDto(campaignListSchema) {}
class VariantListDto extends createZodDto(variantListSchema) {}
class BulkApproveDto extends createZodDto(bulkApproveSchema) {}
class IdParamDto extends createZodDto(idParamSchema) {}

@ApiTags('campaigns')
@ApiBearerAuth()
@Roles('marketer')
@Controller('v1/campaigns')
export class CampaignsController {
  constructor(
    private readonly campaigns: CampaignsService,
    private readonly variants: VariantsService,
  ) {}

  @Post()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateCampaignDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.campaigns.create(principal.workspaceId, body);
    void reply.header('etag', etag);
    return view;
  }

  @Get()
  @Roles('marketer', 'analyst')
  list(@CurrentPrincipal() principal: Principal, @Query() query: CampaignListDto) {
    return this.campaigns.list(principal.workspaceId, query);
  }

  @Get(':id')
  @Roles('marketer', 'analyst')
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.campaigns.get(principal.workspaceId, params.id);
    void reply.header('etag', etag);
    return view;
  }

  /** Draft: any field; review or paused: name, budget, landingUrl; otherwise 409. */
  @Patch(':id')
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Body() body: UpdateCampaignDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.campaigns.update(principal.workspaceId, params.id, body, ifMatch);
    void reply.header('etag', etag);
    return view;
  }

  /** review → live (needs an approved variant), or paused → live. */
  @Post(':id/launch')
  @HttpCode(200)
  async launch(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.campaigns.launch(principal.workspaceId, params.id);
    void reply.header('etag', etag);
    return view;
  }

  @Post(':id/pause')
  @HttpCode(200)
  async pause(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.campaigns.pause(principal.workspaceId, params.id);
    void reply.header('etag', etag);
    return view;
  }

  @Post(':id/archive')
  @HttpCode(200)
  async archive(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.campaigns.archive(principal.workspaceId, params.id);
    void reply.header('etag', etag);
    return view;
  }

  @Get(':id/variants')
  @Roles('marketer', 'analyst')
  variantsOf(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Query() query: VariantListDto,
  ) {
    return this.variants.list(principal.workspaceId, params.id, query);
  }

  /** Approves the listed variants, or every ready one when `variantIds` is absent; all or nothing. */
  @Post(':id/variants/approve')
  @HttpCode(200)
  approveMany(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Body() body: BulkApproveDto,
  ) {
    return this.variants.approveMany(principal.workspaceId, params.id, body.variantIds);
  }
}
