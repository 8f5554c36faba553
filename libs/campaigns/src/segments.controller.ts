import { Body, Controller, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { createSegmentSchema, idParamSchema, segmentListSchema, updateSegmentSchema } from './schemas';
import { SegmentsService } from './segments.service';

class CreateSegmentDto extends createZodDto(createSegmentSchema) {}
class UpdateSegmentDto extends createZodDto(updateSegmentSchema) {}
class SegmentListDto extends createZodDto(segmentListSchema) {}
class IdParamDto extends createZodDto(idParamSchema) {}

@ApiTags('segments')
@ApiBearerAuth()
@Roles('marketer')
@Controller('v1/segments')
export class SegmentsController {
  constructor(private readonly segments: SegmentsService) {}

  @Post()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateSegmentDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.segments.create(principal.workspaceId, body);
    void reply.header('etag', etag);
    return view;
  }

  /**
   * Creates every segment of a CSV body (Content-Type text/csv) or none. Columns: key, name, locales
   * (`;`-separated), optional attributes (a JSON object) and attributes.<name> (text; dots nest).
   */
  @Post('import')
  @ApiConsumes('text/csv')
  import(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return this.segments.importCsv(principal.workspaceId, body);
  }

  @Get()
  @Roles('marketer', 'analyst')
  list(@CurrentPrincipal() principal: Principal, @Query() query: SegmentListDto) {
    return this.segments.list(principal.workspaceId, query);
  }

  @Get(':id')
  @Roles('marketer', 'analyst')
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.segments.get(principal.workspaceId, params.id);
    void reply.header('etag', etag);
    return view;
  }

  @Patch(':id')
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Body() body: UpdateSegmentDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.segments.update(principal.workspaceId, params.id, body, ifMatch);
    void reply.header('etag', etag);
    return view;
  }
}
