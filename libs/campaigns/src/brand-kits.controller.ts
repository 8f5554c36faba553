import { Body, Controller, Get, Headers, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { pageQuerySchema } from '@adloom/db';
import { BrandKitsService } from './brand-kits.service';
import { createBrandKitSchema, idParamSchema, updateBrandKitSchema } from './schemas';

class CreateBrandKitDto extends createZodDto(createBrandKitSchema) {}
class UpdateBrandKitDto extends createZodDto(updateBrandKitSchema) {}
class PageQueryDto extends createZodDto(pageQuerySchema) {}
class IdParamDto extends createZodDto(idParamSchema) {}

@ApiTags('brand-kits')
@ApiBearerAuth()
@Roles('marketer')
@Controller('v1/brand-kits')
export class BrandKitsController {
  constructor(private readonly kits: BrandKitsService) {}

  @Post()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateBrandKitDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.kits.create(principal.workspaceId, body);
    void reply.header('etag', etag);
    return view;
  }

  @Get()
  @Roles('marketer', 'analyst')
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto) {
    return this.kits.list(principal.workspaceId, page);
  }

  @Get(':id')
  @Roles('marketer', 'analyst')
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.kits.get(principal.workspaceId, params.id);
    void reply.header('etag', etag);
    return view;
  }

  @Patch(':id')
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Body() body: UpdateBrandKitDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.kits.update(principal.workspaceId, params.id, body, ifMatch);
    void reply.header('etag', etag);
    return view;
  }

  /** The raw image as the body: Content-Type image/png or image/jpeg, at most 2 MB. */
  @Put(':id/logo')
  @ApiConsumes('image/png', 'image/jpeg')
  async putLogo(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.kits.putLogo(principal.workspaceId, params.id, contentType, body);
    void reply.header('etag', etag);
    return view;
  }

  /** The raw audio as the body: Content-Type audio/mpeg, audio/mp4 or audio/wav, at most 10 MB. */
  @Put(':id/music')
  @ApiConsumes('audio/mpeg', 'audio/mp4', 'audio/wav')
  async putMusic(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.kits.putMusic(principal.workspaceId, params.id, contentType, body);
    void reply.header('etag', etag);
    return view;
  }
}
