import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Db } from '@adloom/db';
import { Queues } from '@adloom/queue';
import { compileContentPolicy, ContentPolicy } from '@adloom/prompts';
import { BrandKitData, policyTexts, renderAd } from '@adloom/campaigns';
import { baseClipSize, budgetProblems, plannedVariantCount, promptHash } from './expand';
import { generateJobOptions, jobIds, waveJobOptions } from './jobs';
import { PlannerError } from './planner.errors';
import { NewVariant, PlannerRepository, SegmentForPlan, TemplateVersionForPlan } from './planner.repository';

const SEGMENT_PAGE = 500;
const INSERT_BATCH = 2_000;
const ENQUEUE_BATCH = 5_000;

export interface PlanResult {
  waveId: string;
  wave: number;
  variants: number;
  uniquePrompts: number;
  cachedPrompts: number;
  generationSeconds: number;
}

/**
 * Expands a campaign into variants (template versions × segments × locales), renders each prompt
 * once, enforces the budget before anything is enqueued, and fans the variants out as one BullMQ
 * flow per wave. Segments are read and variants written in pages, so a plan of any size runs in
 * bounded memory.
 */
@Injectable()
export class PlannerService {
  private readonly logger = new Logger('planner');

  constructor(
    @Inject(CONFIG) private readonly config: AdloomConfig,
    private readonly db: Db,
    private readonly repo: PlannerRepository,
    private readonly queues: Queues,
  ) {}

  async generate(workspaceId: string, campaignId: string): Promise<PlanResult> {
    const plan = await this.db.transaction(async (tx) => {
      const campaign = await this.repo.lockCampaign(workspaceId, campaignId, tx);
      if (!campaign)
        throw new PlannerError('campaign_not_found', `No campaign ${campaignId}.`, { field: 'id' });
      if (campaign.status !== 'draft') {
        throw new PlannerError(
          'campaign_not_plannable',
          `Only a draft campaign can be generated; this one is ${campaign.status}.`,
          { status: campaign.status },
        );
      }
      const templates = await this.repo.templateVersions(campaignId, tx);
      const segmentLocales = await this.repo.segmentLocaleCount(campaignId, tx);
      const variants = plannedVariantCount({ templates: templates.length, segmentLocales });
      if (variants === 0)
        throw new PlannerError('nothing_to_plan', 'The campaign has no templates or no segments.');
      const maxGenerationSeconds = Number(campaign.budget_max_generation_seconds);
      const overVariants = budgetProblems({
        variants,
        maxVariants: campaign.budget_max_variants,
        uniquePrompts: 0,
        cachedPrompts: 0,
        generationSeconds: 0,
        maxGenerationSeconds,
      });
      if (overVariants.length)
        throw this.overBudget(overVariants, { variants, maxVariants: campaign.budget_max_variants });

      const wave = await this.repo.createWave(workspaceId, campaignId, tx);
      const brand = await this.repo.brandKit(workspaceId, campaign.brand_kit_id, tx);
      const policyRow = await this.db.one<{ content_policy: ContentPolicy }>(
        'SELECT content_policy FROM workspace WHERE id = $1',
        [workspaceId],
        tx,
      );
      const policy = compileContentPolicy(policyRow!.content_policy);
      const clipSize = baseClipSize(campaign.formats);
      const parameters = { durationMs: campaign.duration_ms, ...clipSize };

      let batch: NewVariant[] = [];
      const flush = async () => {
        await this.repo.insertVariants(workspaceId, campaignId, wave.id, batch, tx);
        batch = [];
      };
      let after = -1;
      for (;;) {
        const segments = await this.repo.segmentsAfter(campaignId, after, SEGMENT_PAGE, tx);
        if (!segments.length) break;
        after = segments[segments.length - 1].position;
        for (const segment of segments) {
          for (const locale of segment.locales) {
            for (const template of templates) {
              const creative = this.render(template, segment, locale, brand);
              const check = policy.check(policyTexts(creative));
              if (!check.ok) {
                const words = check.violations.map((v) => `"${v.match}"`).join(', ');
                throw new PlannerError(
                  'policy_violation',
                  `The ${segment.key} (${locale}) variant of template version ${template.version} breaks the content policy: ${words}.`,
                  {
                    field: check.violations[0].field,
                    segment: segment.key,
                    locale,
                    violations: check.violations,
                  },
                );
              }
              batch.push({
                id: randomUUID(),
                templateVersionId: template.id,
                segmentId: segment.id,
                locale,
                prompt: creative.prompt,
                promptHash: promptHash(campaign.generator, campaign.model, parameters, creative.prompt),
                copy: { headline: creative.headline, cta: creative.cta, captions: creative.captions },
                slots: {},
                parentVariantId: null,
                generation: 1,
              });
              if (batch.length >= INSERT_BATCH) await flush();
            }
          }
        }
      }
      await flush();

      const prompts = await this.repo.promptCounts(workspaceId, wave.id, tx);
      const generationSeconds =
        ((prompts.unique_prompts - prompts.cached_prompts) * campaign.duration_ms) / 1000;
      const overSeconds = budgetProblems({
        variants,
        maxVariants: campaign.budget_max_variants,
        uniquePrompts: prompts.unique_prompts,
        cachedPrompts: prompts.cached_prompts,
        generationSeconds,
        maxGenerationSeconds,
      });
      if (overSeconds.length)
        throw this.overBudget(overSeconds, {
          generationSeconds,
          maxGenerationSeconds,
          uniquePrompts: prompts.unique_prompts,
        });

      const count = await this.repo.startWave(workspaceId, campaignId, wave.id, tx);
      return {
        waveId: wave.id,
        wave: wave.number,
        variants: count,
        uniquePrompts: prompts.unique_prompts,
        cachedPrompts: prompts.cached_prompts,
        generationSeconds,
      };
    });
    // Enqueued after commit; if this process dies here, the reconciler enqueues what is missing.
    await this.enqueueWave(workspaceId, campaignId, plan.waveId);
    this.logger.log(`campaign ${campaignId}: wave ${plan.wave} with ${plan.variants} variants`);
    return plan;
  }

  /** The wave's flow: a `wave` parent whose children are the variants' `generate` jobs. */
  async enqueueWave(workspaceId: string, campaignId: string, waveId: string): Promise<void> {
    const parent = { id: jobIds.wave(waveId), queue: this.queues.queue('wave').qualifiedName };
    let after = '00000000-0000-0000-0000-000000000000';
    let first = true;
    for (;;) {
      const rows = await this.repo.queuedVariantIds(waveId, after, ENQUEUE_BATCH);
      if (!rows.length) break;
      after = rows[rows.length - 1].id;
      const jobs = rows.map(({ id }) => ({
        data: { workspaceId, variantId: id },
        opts: generateJobOptions(id),
      }));
      if (first) {
        await this.queues.flowProducer().add({
          name: 'wave',
          queueName: 'wave',
          data: { workspaceId, campaignId, waveId },
          opts: waveJobOptions(waveId),
          children: jobs.map((j) => ({
            name: 'generate',
            queueName: 'generate',
            data: j.data,
            opts: j.opts,
          })),
        });
        first = false;
      } else {
        await this.queues.addBulk(
          'generate',
          jobs.map((j) => ({ data: j.data, opts: { ...j.opts, parent } })),
        );
      }
    }
  }

  private render(
    template: TemplateVersionForPlan,
    segment: SegmentForPlan,
    locale: string,
    brand: BrandKitData | null,
  ) {
    return renderAd({
      template: {
        prompt: template.prompt,
        headline: template.headline,
        cta: template.cta,
        captions: template.captions,
        variables: template.variables as never,
        locales: template.locales,
        alternatives: template.alternatives as never,
      },
      segment,
      locale,
      brand,
    });
  }

  private overBudget(problems: string[], numbers: Record<string, number>) {
    return new PlannerError('over_budget', `Over budget: ${problems.join('; ')}.`, {
      field: 'budget',
      ...numbers,
    });
  }
}
