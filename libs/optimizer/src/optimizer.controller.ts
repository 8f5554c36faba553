import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { PlannerService } from '@adloom/planner';
import { Db } from '@adloom/db';
import { OptimizerError } from './errors';
import { OptimizerService } from './optimizer.service';

class CampaignIdDto extends createZodDto(z.object({ id: z.uuid() })) {}
class EvolveDto extends createZodDto(
  z
    .object({
      variantIds: z.array(z.uuid()).min(1).max(100).optional(),
      perParent: z.number().int().min(1).max(10).default(2),
    })
    .strict(),
) {}

@ApiTags('optimizer')
@ApiBearerAuth()
@Controller('v1/campaigns')
export class OptimizerController {
  constructor(
    private readonly optimizer: OptimizerService,
    private readonly planner: PlannerService,
    private readonly db: Db,
  ) {}

  /** Runs an optimisation pass now (it also runs every OPTIMIZE_INTERVAL). */
  @Post(':id/optimize')
  @Roles('marketer')
  @HttpCode(200)
  optimize(@CurrentPrincipal() principal: Principal, @Param() params: CampaignIdDto) {
    return this.optimizer.optimize(params.id, principal.workspaceId);
  }

  /**
   * A new wave from the winners (or the given variants): children keep their parent's slots and vary
   * one other, under the campaign's budget caps.
   */
  @Post(':id/evolve')
  @Roles('marketer')
  @HttpCode(202)
  async evolve(
    @CurrentPrincipal() principal: Principal,
    @Param() params: CampaignIdDto,
    @Body() body: EvolveDto,
  ) {
    let parents = body.variantIds;
    if (!parents) {
      const rows = await this.db.query<{ variant_id: string }>(
        `SELECT DISTINCT ON (a.segment_key) kv.key AS variant_id
         FROM allocation a JOIN campaign c ON c.id = a.campaign_id, jsonb_each_text(a.p_best) kv
         WHERE a.campaign_id = $1 AND c.workspace_id = $2
         ORDER BY a.segment_key, kv.value::float8 DESC`,
        [params.id, principal.workspaceId],
      );
      parents = rows.map((r) => r.variant_id);
    }
    if (!parents.length) {
      throw new OptimizerError(
        'nothing_to_evolve',
        'No variant to evolve from yet: run the optimiser first.',
      );
    }
    const plan = await this.planner.evolve(principal.workspaceId, params.id, parents, body.perParent);
    if (!plan)
      throw new OptimizerError('nothing_to_evolve', 'Every alternative of these variants was tried already.');
    return plan;
  }
}
