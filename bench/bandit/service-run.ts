import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiKeysService } from '@adloom/auth';
import { Db } from '@adloom/db';
import {
  ARMS_SQL,
  DEFAULT_HALF_LIFE_HOURS,
  OptimizerRepository,
  armFamilyKey,
  planSegments,
} from '@adloom/optimizer';
import { createApi } from '../../apps/api/src/app';
import { SEGMENTS, VARIANTS_PER_SEGMENT, seedCampaign, seedWorkspace } from '../support/campaign-seed';
import { benchServices, median } from '../support/services';

export interface OptimiserTiming {
  variants: number;
  segments: number;
  hours: number;
  /** Median of POST /v1/campaigns/:id/optimize (auth, SQL, maths, transaction, invalidation). */
  ms: number;
  /** Median of the posteriors, P(best) and weights alone, on the same counts. */
  mathMs: number;
  /** Median of the discounted arms aggregate alone. */
  sqlMs: number;
  /** EXPLAIN ANALYZE of the arms aggregate. */
  plan: string[];
}

const HOURS = 72;

async function timed(work: () => unknown): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * The optimiser's run time on the benchmarks' large campaign (1,000 variants over 20 segments, 72 h
 * of hourly rollups, beside no other campaign), through the real API and Postgres, medians of `runs`
 * after a warm-up; the arms query and the maths alone beside it.
 */
export async function timeOptimiserRuns(runs: number): Promise<OptimiserTiming> {
  const { config, services } = await benchServices();
  let app: NestFastifyApplication | undefined;
  try {
    app = await createApi(config, { logs: false });
    const api = app;
    const { key, workspaceId } = await api.get(ApiKeysService).createForWorkspaceName('bench', 'marketer');
    const db = api.get(Db);
    const workspace = await seedWorkspace(db, workspaceId);
    const { campaignId } = await seedCampaign(db, workspace, 'bench', HOURS);
    await db.query('VACUUM ANALYZE metric_rollup');
    const optimize = async () => {
      const res = await api.inject({
        method: 'POST',
        url: `/v1/campaigns/${campaignId}/optimize`,
        headers: { authorization: `Bearer ${key}` },
      });
      if (res.statusCode !== 200) throw new Error(`optimize answered ${res.statusCode}: ${res.body}`);
    };
    const repository = api.get(OptimizerRepository);
    const arms = await repository.arms(campaignId, DEFAULT_HALF_LIFE_HOURS);
    const rows = arms.map((a) => ({
      ...a.discounted,
      variantId: armFamilyKey(a.template_version_id, a.locale, a.slots),
      segment: a.segment_key,
    }));
    const math = () => planSegments(rows, 'ctr', { allocation: { minTrials: 0 } });
    await optimize();
    math();
    const samples = { ms: [] as number[], mathMs: [] as number[], sqlMs: [] as number[] };
    for (let run = 0; run < runs; run++) {
      samples.ms.push(await timed(optimize));
      samples.mathMs.push(await timed(math));
      samples.sqlMs.push(await timed(() => repository.arms(campaignId, DEFAULT_HALF_LIFE_HOURS)));
    }
    const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${ARMS_SQL}`, [
      campaignId,
      DEFAULT_HALF_LIFE_HOURS,
    ]);
    return {
      plan: plan.map((row) => row['QUERY PLAN']),
      variants: SEGMENTS * VARIANTS_PER_SEGMENT,
      segments: SEGMENTS,
      hours: HOURS,
      ms: median(samples.ms),
      mathMs: median(samples.mathMs),
      sqlMs: median(samples.sqlMs),
    };
  } finally {
    await app?.close();
    await services.stop();
  }
}
