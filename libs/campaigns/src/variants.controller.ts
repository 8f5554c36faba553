import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { idParamSchema, rejectSchema } from './schemas';
import { VariantsService } from './variants.service';

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
  get(@CurrentPrincipal() principal: Principal, @Param() params: IdParamDto) {
    return this.variants.get(principal.workspaceId, params.id);
  }

  /** ready (or rejected) → approved. */
  @Post(':id/approve')
  @HttpCode(200)
  approve(@CurrentPrincipal() principal: Principal, @Param() params: IdParamDto) {
    return this.variants.approve(principal.workspaceId, params.id);
  }

  /** ready, approved or paused → rejected, with the reason kept on the variant. */
  @Post(':id/reject')
  @HttpCode(200)
  reject(@CurrentPrincipal() principal: Principal, @Param() params: IdParamDto, @Body() body: RejectDto) {
    return this.variants.reject(principal.workspaceId, params.id, body.reason);
  }
}
