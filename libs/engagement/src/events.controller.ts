import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { CommonError } from '@adloom/common';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { checksItemsAlone } from '@adloom/http';
import { AggregateImports } from './aggregate-imports';
import { CSV_CONTENT_TYPE } from './csv-body';
import { EventIntake } from './event-intake';
import { MAX_EVENTS_PER_BATCH } from './events';

/** Items are checked one by one (a bad event is rejected alone, the rest still count). */
class EventBatchDto extends createZodDto(
  checksItemsAlone(z.object({ events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_BATCH) })),
) {}

@ApiTags('events')
@ApiBearerAuth()
@Roles('platform')
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly intake: EventIntake,
    private readonly imports: AggregateImports,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Report engagement events',
    description:
      'Up to 10,000 events `{ id, type, variantId, segment, ts, value? }`; `ts` is epoch milliseconds or an ' +
      'ISO 8601 date-time. 202 means the valid events are durably appended to the engagement log; they are ' +
      'counted shortly after, in the UTC hour of their own `ts`. Each id counts once per workspace within ' +
      'the dedupe window (7 days by default): a retried batch adds nothing twice. An event older than the ' +
      'window is rejected as late. The answer gives how many events were taken, how many repeated an id ' +
      'of the same batch, and each rejected event with its index, field and reason; ids counted before ' +
      'are skipped when counting. 503 when the log cannot take events: nothing was taken, send again.',
  })
  record(@CurrentPrincipal() principal: Principal, @Body() body: EventBatchDto) {
    return this.intake.ingest(principal.workspaceId, body.events);
  }

  @Post('import')
  @ApiConsumes(CSV_CONTENT_TYPE)
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiOperation({
    summary: "Import a platform's daily CSV of aggregates",
    description:
      'Columns `date` and `ad_id` (the Adloom variant id) and at least one metric: impressions, video starts, ' +
      'quartiles, completions, clicks, conversions, conversion value (common platform headers are ' +
      'recognised). Counts are added at 00:00 UTC of each day. The same file (same bytes) counts once: ' +
      '201 on the first import, 200 with `imported: false` after.',
  })
  async import(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    if (!Buffer.isBuffer(bytes) || bytes.length === 0) {
      throw new CommonError(
        'unsupported_media_type',
        'Send the CSV file as the body, with Content-Type: text/csv.',
        {
          field: 'body',
        },
      );
    }
    const report = await this.imports.importCsv(principal.workspaceId, bytes);
    void reply.status(report.imported ? 201 : 200);
    return report;
  }
}
