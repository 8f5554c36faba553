import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { pageQuerySchema } from '@adloom/db';
import { WEBHOOK_EVENTS } from './events';
import { Webhooks } from './webhooks.service';

const url = z.url({ protocol: /^https?$/ }).max(2048);
const events = z
  .array(z.enum(WEBHOOK_EVENTS))
  .min(1)
  .max(WEBHOOK_EVENTS.length * 4);

class CreateWebhookDto extends createZodDto(z.object({ url, events }).strict()) {}
class UpdateWebhookDto extends createZodDto(
  z.object({ url: url.optional(), events: events.optional(), enabled: z.boolean().optional() }).strict(),
) {}
class PageQueryDto extends createZodDto(pageQuerySchema) {}
class DeliveriesQueryDto extends createZodDto(
  pageQuerySchema.extend({ status: z.enum(['pending', 'delivered', 'failed']).optional() }),
) {}
class WebhookIdDto extends createZodDto(z.object({ id: z.uuid() })) {}

@ApiTags('webhooks')
@ApiBearerAuth()
@Roles('marketer')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: Webhooks) {}

  @Post()
  @ApiOperation({
    summary: 'Register an endpoint',
    description:
      'The URL must be https and must not resolve to a loopback, private, link-local or other non-public ' +
      'address (unless WEBHOOKS_ALLOW_PRIVATE=true). The response holds the signing secret (whsec_…), ' +
      'shown only here. Deliveries carry the Standard Webhooks headers webhook-id, webhook-timestamp and ' +
      'webhook-signature; a 2xx answer delivers, anything else is retried for about a day, and ' +
      '410 Gone disables the endpoint.',
  })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateWebhookDto) {
    return this.webhooks.create(principal.workspaceId, body);
  }

  @Get()
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto) {
    return this.webhooks.list(principal.workspaceId, page);
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param() params: WebhookIdDto) {
    return this.webhooks.get(principal.workspaceId, params.id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the URL, the events or whether the endpoint is enabled' })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param() params: WebhookIdDto,
    @Body() body: UpdateWebhookDto,
  ) {
    return this.webhooks.update(principal.workspaceId, params.id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() principal: Principal, @Param() params: WebhookIdDto): Promise<void> {
    await this.webhooks.remove(principal.workspaceId, params.id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Deliveries to this endpoint, oldest first, each with its attempts' })
  deliveries(
    @CurrentPrincipal() principal: Principal,
    @Param() params: WebhookIdDto,
    @Query() query: DeliveriesQueryDto,
  ) {
    const { status, ...page } = query;
    return this.webhooks.deliveries(principal.workspaceId, params.id, page, status);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a webhook.test event to this endpoint' })
  test(@CurrentPrincipal() principal: Principal, @Param() params: WebhookIdDto) {
    return this.webhooks.test(principal.workspaceId, params.id);
  }
}
