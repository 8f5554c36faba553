import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { REPORT_GROUPINGS, ReportGrouping } from './report';
import { prefersCsv, REPORT_CSV_COLUMNS, reportCsv, reportCsvFilename } from './report-csv';
import { ReportsService } from './reports.service';
import { TIMESERIES_BUCKETS, TIMESERIES_METRICS } from './timeseries';

const time = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone (Z or ±hh:mm)' })
  .transform((value) => new Date(value));
const segmentKey = z.string().min(1).max(64);

/** `variant,segment` and `segment,variant` are the same grouping. */
const grouping = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .sort((a, b) => (a === 'variant' ? -1 : b === 'variant' ? 1 : 0))
      .join(','),
  )
  .pipe(z.enum(REPORT_GROUPINGS, { error: `must be one of ${REPORT_GROUPINGS.join(', ')}` }));

class CampaignIdDto extends createZodDto(z.object({ id: z.uuid() })) {}
class ReportQueryDto extends createZodDto(
  z.object({
    by: grouping.default('variant,segment' as ReportGrouping),
    from: time.optional(),
    to: time.optional(),
  }),
) {}
class AllocationsQueryDto extends createZodDto(
  z.object({
    from: time.optional(),
    to: time.optional(),
    segment: segmentKey.optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
  }),
) {}
class TimeseriesQueryDto extends createZodDto(
  z.object({
    metric: z.enum(TIMESERIES_METRICS),
    bucket: z.enum(TIMESERIES_BUCKETS).default('hour'),
    from: time.optional(),
    to: time.optional(),
    segment: segmentKey.optional(),
  }),
) {}

@ApiTags('reports')
@ApiBearerAuth()
@Roles('analyst', 'marketer')
@Controller('v1/campaigns')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get(':id/report')
  @ApiOkResponse({
    description: 'The report; its rows as CSV when the Accept header asks for text/csv.',
    content: {
      'application/json': { schema: { type: 'object' } },
      'text/csv': {
        schema: { type: 'string', description: REPORT_CSV_COLUMNS.map((c) => c.header).join(',') },
      },
    },
  })
  @ApiOperation({
    summary: 'Performance per variant, segment or both, with Bayesian summaries of the objective',
    description:
      '`by` = variant | segment | variant,segment (default). `from` (inclusive) and `to` (exclusive) ' +
      'filter rollup hours. Send `Accept: text/csv` for the rows as CSV with a fixed header.',
  })
  async report(
    @CurrentPrincipal() principal: Principal,
    @Param() params: CampaignIdDto,
    @Query() query: ReportQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const report = await this.reports.report(principal.workspaceId, params.id, query);
    void reply.header('vary', 'Accept');
    if (!prefersCsv(accept)) return report;
    void reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${reportCsvFilename(report)}"`);
    return reportCsv(report);
  }

  @Get(':id/allocations')
  @ApiOperation({
    summary: 'Traffic weights per segment: the current ones and their history',
    description: 'History is oldest first, the latest `limit` entries per segment within `from`/`to`.',
  })
  allocations(
    @CurrentPrincipal() principal: Principal,
    @Param() params: CampaignIdDto,
    @Query() query: AllocationsQueryDto,
  ) {
    return this.reports.allocations(principal.workspaceId, params.id, query);
  }

  @Get(':id/timeseries')
  @ApiOperation({
    summary: 'One series per variant of a count or a rate, per UTC hour or day',
    description: 'Rates carry a 95% credible band: the 2.5% and 97.5% quantiles of Beta(1 + x, 1 + n − x).',
  })
  timeseries(
    @CurrentPrincipal() principal: Principal,
    @Param() params: CampaignIdDto,
    @Query() query: TimeseriesQueryDto,
  ) {
    return this.reports.timeseries(principal.workspaceId, params.id, query);
  }
}
