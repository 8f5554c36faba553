import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Db } from '@adloom/db';
import { Queues } from '@adloom/queue';
import { compileContentPolicy, ContentPolicy } from '@adloom/prompts';
import { BrandKitData, policyTexts, renderAd, SLOT_NAMES, SlotChoice } from '@adloom/campaigns';
import {
  GenerationError,
  GeneratorRegistry,
  pricerFor,
  resolutionOf,
  ResolvedRouteEntry,
} from '@adloom/generation';
import { baseClipSize, budgetProblems, plannedVariantCount, promptHash } from './expand';
import { generateJobOptions, jobIds, waveJobOptions } from './jobs';
import { PlannerError } from './planner.errors';
import {
  CampaignForPlan,
  EvolutionParent,
  NewVariant,
  PlannerRepository,
  SegmentForPlan,
  slotKey,
  TemplateVersionForPlan,
} from './planner.repository';

const SEGMENT_PAGE = 2_000;
const INSERT_BATCH = 5_000;
const ENQUEUE_BATCH = 5_000;

export interface PlanResult {
  waveId: string;
  wave: number;
  variants: number;
  uniquePrompts: number;
  cachedPrompts: number;
  generationSeconds: number;
  /** The generators in the order they will be tried, each with the model that will make the clip. */
  route: ResolvedRouteEntry[];
  /** The new clips' cost at the first generator's price per second. */
  estimatedCost: number;
  /** Milliseconds spent planning (rendering, inserting) and enqueuing. */
  timings?: { planMs: number; enqueueMs: number };
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
    private readonly generators: GeneratorRegistry,
  ) {}

  /** The campaign's generators with their models resolved now: the first one names the clips. */
  private route(campaign: CampaignForPlan): ResolvedRouteEntry[] {
    try {
      return this.generators.resolve(campaign.generator, campaign.model, campaign.fallbacks);
    } catch (error) {
      if (!(error instanceof GenerationError)) throw error;
      throw new PlannerError('campaign_not_plannable', `The campaign's generators: ${error.message}`, {
        field: 'generator',
      });
    }
  }

  /** Price per second of the first generator for the campaign's base clip, and how it reads in a message. */
  private firstPrice(route: ResolvedRouteEntry[], formats: string[]): { price: number; pricedAt: string } {
    const [first] = route;
    const size = baseClipSize(formats);
    const resolution = resolutionOf(size.width, size.height);
    const price = pricerFor(this.config, first.provider)(first.model, resolution);
    return { price, pricedAt: `${first.provider}:${first.model} ${resolution} at ${price}/s` };
  }

  async generate(workspaceId: string, campaignId: string): Promise<PlanResult> {
    const started = Date.now();
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
      const route = this.route(campaign);
      const [first] = route;

      // Rendering (here) overlaps with writing (in Postgres): one insert is in flight while the next
      // batch renders, and the next page of segments is asked for before the current one renders.
      let batch: NewVariant[] = [];
      let writing: Promise<void> | undefined;
      const flush = async () => {
        const rows = batch;
        batch = [];
        await writing;
        writing = rows.length
          ? this.repo.insertVariants(workspaceId, campaignId, wave.id, rows, tx)
          : undefined;
        // Awaited at the next flush; until then a failure must not count as unhandled.
        writing?.catch(() => undefined);
      };
      const page = (after: number) => {
        const read = this.repo.segmentsAfter(campaignId, after, SEGMENT_PAGE, tx);
        read.catch(() => undefined);
        return read;
      };
      let next = page(-1);
      for (;;) {
        const segments = await next;
        if (!segments.length) break;
        next = page(segments[segments.length - 1].position);
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
                promptHash: promptHash(first.provider, first.model, parameters, creative.prompt),
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
      await writing;

      const prompts = await this.repo.promptCounts(workspaceId, wave.id, tx);
      const generationSeconds =
        ((prompts.unique_prompts - prompts.cached_prompts) * campaign.duration_ms) / 1000;
      const { price, pricedAt } = this.firstPrice(route, campaign.formats);
      const estimatedCost = Math.round(generationSeconds * price * 1e6) / 1e6;
      const maxCost = campaign.budget_max_cost === null ? null : Number(campaign.budget_max_cost);
      const overSeconds = budgetProblems({
        variants,
        maxVariants: campaign.budget_max_variants,
        uniquePrompts: prompts.unique_prompts,
        cachedPrompts: prompts.cached_prompts,
        generationSeconds,
        maxGenerationSeconds,
        estimatedCost,
        maxCost,
        pricedAt,
      });
      if (overSeconds.length)
        throw this.overBudget(overSeconds, {
          generationSeconds,
          maxGenerationSeconds,
          uniquePrompts: prompts.unique_prompts,
          estimatedCost,
          ...(maxCost !== null ? { maxCost } : {}),
        });

      const count = await this.repo.startWave(workspaceId, campaignId, wave.id, tx);
      return {
        waveId: wave.id,
        wave: wave.number,
        variants: count,
        uniquePrompts: prompts.unique_prompts,
        cachedPrompts: prompts.cached_prompts,
        generationSeconds,
        route,
        estimatedCost,
      };
    });
    // Enqueued after commit; if this process dies here, the reconciler enqueues what is missing.
    const planned = Date.now();
    await this.enqueueWave(workspaceId, campaignId, plan.waveId);
    this.logger.log(`campaign ${campaignId}: wave ${plan.wave} with ${plan.variants} variants`);
    return { ...plan, timings: { planMs: planned - started, enqueueMs: Date.now() - planned } };
  }

  /**
   * A new wave from winners: each child keeps its parent's slot choices and varies one other slot
   * (another prompt, headline or call to action from the template's alternatives), never one tried
   * before. Children carry `parent_variant_id` and the next generation; the campaign stays live and
   * the plan answers to the same budget caps as the first wave.
   */
  async evolve(
    workspaceId: string,
    campaignId: string,
    parentIds: string[],
    perParent = 2,
  ): Promise<PlanResult | null> {
    const plan = await this.db.transaction(async (tx) => {
      const campaign = await this.repo.lockCampaign(workspaceId, campaignId, tx);
      if (!campaign)
        throw new PlannerError('campaign_not_found', `No campaign ${campaignId}.`, { field: 'id' });
      if (!['live', 'paused', 'review'].includes(campaign.status)) {
        throw new PlannerError('campaign_not_plannable', `A ${campaign.status} campaign cannot evolve.`, {
          status: campaign.status,
        });
      }
      const parents = await this.repo.evolutionParents(campaignId, parentIds, tx);
      const templates = new Map((await this.repo.templateVersions(campaignId, tx)).map((t) => [t.id, t]));
      const segments = new Map(
        (await this.repo.segmentsByIds([...new Set(parents.map((p) => p.segment_id))], tx)).map((s) => [
          s.id,
          s,
        ]),
      );
      const tried = await this.repo.triedSlots(campaignId, tx);
      const brand = await this.repo.brandKit(workspaceId, campaign.brand_kit_id, tx);
      const parameters = { durationMs: campaign.duration_ms, ...baseClipSize(campaign.formats) };
      const route = this.route(campaign);
      const [first] = route;
      const children: NewVariant[] = [];
      for (const parent of parents) {
        const template = templates.get(parent.template_version_id);
        const segment = segments.get(parent.segment_id);
        if (!template || !segment) continue;
        for (const slots of this.mutations(parent, template).slice(0, perParent * 3)) {
          if (children.filter((c) => c.parentVariantId === parent.id).length >= perParent) break;
          const key = slotKey(template.id, segment.id, parent.locale, slots);
          if (tried.has(key)) continue;
          tried.add(key);
          const creative = this.render(template, segment, parent.locale, brand, slots);
          children.push({
            id: randomUUID(),
            templateVersionId: template.id,
            segmentId: segment.id,
            locale: parent.locale,
            prompt: creative.prompt,
            promptHash: promptHash(first.provider, first.model, parameters, creative.prompt),
            copy: { headline: creative.headline, cta: creative.cta, captions: creative.captions },
            slots,
            parentVariantId: parent.id,
            generation: parent.generation + 1,
          });
        }
      }
      if (!children.length) return null;
      const existing = await this.repo.variantCount(campaignId, tx);
      const over = budgetProblems({
        variants: existing + children.length,
        maxVariants: campaign.budget_max_variants,
        uniquePrompts: 0,
        cachedPrompts: 0,
        generationSeconds: 0,
        maxGenerationSeconds: Number(campaign.budget_max_generation_seconds),
      });
      if (over.length)
        throw this.overBudget(over, {
          variants: existing + children.length,
          maxVariants: campaign.budget_max_variants,
        });
      const wave = await this.repo.createWave(workspaceId, campaignId, tx);
      await this.repo.insertVariants(workspaceId, campaignId, wave.id, children, tx);
      const prompts = await this.repo.promptCounts(workspaceId, wave.id, tx);
      const count = await this.repo.startWave(workspaceId, campaignId, wave.id, tx, false);
      const generationSeconds =
        ((prompts.unique_prompts - prompts.cached_prompts) * campaign.duration_ms) / 1000;
      return {
        waveId: wave.id,
        wave: wave.number,
        variants: count,
        uniquePrompts: prompts.unique_prompts,
        cachedPrompts: prompts.cached_prompts,
        generationSeconds,
        route,
        estimatedCost:
          Math.round(generationSeconds * this.firstPrice(route, campaign.formats).price * 1e6) / 1e6,
      };
    });
    if (plan) await this.enqueueWave(workspaceId, campaignId, plan.waveId);
    return plan;
  }

  /** Every single-slot change of a parent's choices that the template's alternatives allow. */
  private mutations(parent: EvolutionParent, template: TemplateVersionForPlan): SlotChoice[] {
    const alternatives = (template.alternatives ?? {}) as Partial<
      Record<(typeof SLOT_NAMES)[number], string[]>
    >;
    const out: SlotChoice[] = [];
    for (const slot of SLOT_NAMES) {
      const options = alternatives[slot]?.length ?? 0;
      const current = parent.slots[slot];
      for (let choice = -1; choice < options; choice++) {
        if (choice === (current ?? -1)) continue;
        const slots: SlotChoice = { ...parent.slots };
        if (choice < 0) delete slots[slot];
        else slots[slot] = choice;
        out.push(slots);
      }
    }
    return out;
  }

  /**
   * The wave's flow: a `wave` parent whose children are the variants' `generate` jobs. The next page of
   * ids is read from Postgres while the current one is added to Redis.
   */
  async enqueueWave(workspaceId: string, campaignId: string, waveId: string): Promise<void> {
    const parent = { id: jobIds.wave(waveId), queue: this.queues.queue('wave').qualifiedName };
    const page = (after: string) => {
      const read = this.repo.queuedVariantIds(waveId, after, ENQUEUE_BATCH);
      read.catch(() => undefined);
      return read;
    };
    let next = page('00000000-0000-0000-0000-000000000000');
    let first = true;
    for (;;) {
      const rows = await next;
      if (!rows.length) break;
      next = page(rows[rows.length - 1].id);
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
    slots?: SlotChoice,
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
      slots,
    });
  }

  private overBudget(problems: string[], numbers: Record<string, number>) {
    return new PlannerError('over_budget', `Over budget: ${problems.join('; ')}.`, {
      field: 'budget',
      ...numbers,
    });
  }
}
