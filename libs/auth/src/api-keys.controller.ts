import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { pageQuerySchema } from '@adloom/db';
import { ApiKeysService } from './api-keys.service';
import { ROLES } from './keys';
import { CurrentPrincipal, Principal } from './principal';

class CreateApiKeyDto extends createZodDto(
  z.object({ role: z.enum(ROLES), name: z.string().max(200).default('') }).strict(),
) {}
class PageQueryDto extends createZodDto(pageQuerySchema) {}
class KeyIdDto extends createZodDto(z.object({ id: z.uuid() })) {}

@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /** Issues a key for the caller's workspace. The key is in this response only. */
  @Post()
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto) {
    return this.keys.create(principal.workspaceId, body.role, body.name);
  }

  @Get()
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto) {
    return this.keys.list(principal.workspaceId, page);
  }

  @Delete(':id')
  revoke(@CurrentPrincipal() principal: Principal, @Param() params: KeyIdDto) {
    return this.keys.revoke(principal.workspaceId, params.id);
  }
}
