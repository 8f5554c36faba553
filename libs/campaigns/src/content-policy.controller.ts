import { Body, Controller, Get, Headers, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { ContentPolicyService } from './content-policy.service';
import { contentPolicySchema } from './schemas';

class ContentPolicyDto extends createZodDto(contentPolicySchema) {}

@ApiTags('content-policy')
@ApiBearerAuth()
@Roles('marketer')
@Controller('v1/content-policy')
export class ContentPolicyController {
  constructor(private readonly policy: ContentPolicyService) {}

  @Get()
  @Roles('marketer', 'analyst')
  async get(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    const { view, etag } = await this.policy.get(principal.workspaceId);
    void reply.header('etag', etag);
    return view;
  }

  /** Replaces the policy: blocked terms, and real people with whether their consent is recorded. */
  @Put()
  async replace(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ContentPolicyDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, etag } = await this.policy.replace(principal.workspaceId, body, ifMatch);
    void reply.header('etag', etag);
    return view;
  }
}
