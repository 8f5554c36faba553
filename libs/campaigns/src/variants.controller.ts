import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { etagOf } from '@adloom/http';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { idParamSchema, rejectSchema } from './schemas';
import { VariantsService, VariantView } from './variants.service';

function withEtag(reply: FastifyReply, variant: VariantView): VariantView {
  void reply.header('etag', etagOf(variant.id, variant.state, variant.updatedAt));
  return variant;
}

class RejectDto extends createZodDto(rejectSchema) {}
class IdParamDto extends createZodDto(idParamSchema) {}

@ApiTags('variants')
@ApiBearerAuth()
@Roles('marketer')
@Controller('v1/variants')
export class VariantsController {
  constructor(private readonly variants: VariantsService) {}

  @Get(':id')
  @Roles('marketer', 'analyst')
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return withEtag(reply, await this.variants.get(principal.workspaceId, params.id));
  }

  /** ready (or rejected) → approved. */
  @Post(':id/approve')
  @HttpCode(200)
  async approve(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return withEtag(reply, await this.variants.approve(principal.workspaceId, params.id));
  }

  /** ready, approved or paused → rejected, with the reason kept on the variant. */
  @Post(':id/reject')
  @HttpCode(200)
  async reject(
    @CurrentPrincipal() principal: Principal,
    @Param() params: IdParamDto,
    @Body() body: RejectDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return withEtag(reply, await this.variants.reject(principal.workspaceId, params.id, body.reason));
  }
}
