import { Inject, Injectable } from '@nestjs/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { Db } from '@adloom/db';

export interface ClipRow {
  id: string;
  workspace_id: string;
  prompt_hash: string;
  status: 'pending' | 'generating' | 'ready' | 'failed';
  s3_key: string | null;
  sha256: string | null;
  error: string | null;
  width: number | null;
  height: number | null;
  duration_ms: number | null;
  generations: number;
}

/** The content-addressed clip cache: one row per workspace and prompt hash, claimed by one generator at a time. */
@Injectable()
export class ClipsRepository {
  constructor(
    private readonly db: Db,
    @Inject(CONFIG) private readonly config: AdloomConfig,
  ) {}

  /** A claim goes stale when its holder stops renewing it (a killed worker): after one job lock. */
  get leaseMs(): number {
    return this.config.JOB_LOCK;
  }

  async ensure(workspaceId: string, promptHash: string, generator: string, model: string): Promise<ClipRow> {
    await this.db.query(
      `INSERT INTO clip (workspace_id, prompt_hash, generator, model) VALUES ($1, $2, $3, $4)
       ON CONFLICT (workspace_id, prompt_hash) DO NOTHING`,
      [workspaceId, promptHash, generator, model],
    );
    return (await this.db.one<ClipRow>(`SELECT * FROM clip WHERE workspace_id = $1 AND prompt_hash = $2`, [
      workspaceId,
      promptHash,
    ]))!;
  }

  /** Takes the right to generate this clip: when nobody has it, or its holder's lease ran out. */
  async claim(clipId: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE clip SET status = 'generating', error = NULL, updated_at = now()
       WHERE id = $1 AND (status IN ('pending', 'failed')
             OR (status = 'generating' AND updated_at < now() - make_interval(secs => $2)))
       RETURNING id`,
      [clipId, this.leaseMs / 1000],
    );
    return rows.length > 0;
  }

  async renew(clipId: string): Promise<void> {
    await this.db.query(`UPDATE clip SET updated_at = now() WHERE id = $1 AND status = 'generating'`, [
      clipId,
    ]);
  }

  async ready(
    clipId: string,
    clip: {
      s3Key: string;
      sha256: string;
      bytes: number;
      width: number;
      height: number;
      durationMs: number;
      gpuSeconds: number;
      cost: number;
      seed: number;
      providerJobId?: string;
      model: string;
    },
  ): Promise<void> {
    await this.db.query(
      `UPDATE clip SET status = 'ready', s3_key = $2, sha256 = $3, bytes = $4, width = $5, height = $6,
              duration_ms = $7, generations = generations + 1, gpu_seconds = gpu_seconds + $8, cost = cost + $9, seed = $10, provider_job_id = $11,
              model = $12, updated_at = now()
       WHERE id = $1`,
      [
        clipId,
        clip.s3Key,
        clip.sha256,
        clip.bytes,
        clip.width,
        clip.height,
        clip.durationMs,
        clip.gpuSeconds,
        clip.cost,
        clip.seed,
        clip.providerJobId ?? null,
        clip.model,
      ],
    );
  }

  async failed(clipId: string, error: string): Promise<void> {
    await this.db.query(`UPDATE clip SET status = 'failed', error = $2, updated_at = now() WHERE id = $1`, [
      clipId,
      error.slice(0, 2000),
    ]);
  }

  get(clipId: string) {
    return this.db.one<ClipRow>(`SELECT * FROM clip WHERE id = $1`, [clipId]);
  }
}
