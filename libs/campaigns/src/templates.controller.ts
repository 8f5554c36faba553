import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { pageQuerySchema } from '@adloom/db';
import { createTemplateSchema, idParamSchema, previewSchema, templateVersionSchema } from './schemas';
import { TemplatesService } from './templates.service';

class CreateTemplateDto extends createZodDto(createTemplateSchema) {}
class TemplateVersionDto extends createZodDto(templateVersionSchema) {}
class PreviewDto extends createZodDto(previewSchema) {}
class PageQueryDto extends createZodDto(pageQuerySchema) {}
class IdParamDto extends createZodDto(idParamSchema) {}

@ApiTags('templates')
@ApiBearerAuth()
@Roles('marketer')
@Controller('v1/templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  /** Creates the template and its version 1. */
  @Post()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateTemplateDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.templates.create(principal.workspaceId, body);
    void reply.header('etag', etag);
    return view;
  }

  @Get()
  @Roles('marketer', 'analyst')
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto) {
    return this.templates.list(principal.workspaceId, page);
  }

  /** The template with every version. */
  @Get(':id')
  @Roles('marketer', 'analyst')
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.templates.get(principal.workspaceId, params.id);
    void reply.header('etag', etag);
    return view;
  }

  /** A new immutable version, numbered one past the latest. */
  @Post(':id/versions')
  addVersion(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Body() body: TemplateVersionDto,
  ) {
    return this.templates.addVersion(principal.workspaceId, params.id, body);
  }

  /** The rendered prompt, copy and captions for one segment and locale; generates nothing. */
  @Post(':id/preview')
  @HttpCode(200)
  preview(@CurrentPrincipal() principal: Principal, @Param() params: IdParamDto, @Body() body: PreviewDto) {
    return this.templates.preview(principal.workspaceId, params.id, body);
  }
}
