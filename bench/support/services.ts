import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AdloomConfig, loadConfig } from '@adloom/config';
import { migrate } from '@adloom/db';
import { RunningServices, startServices } from '@adloom/services';

/** Real services for a benchmark (embedded unless configured), migrated, with throwaway data. */
export async function benchServices(): Promise<{
  config: AdloomConfig;
  services: RunningServices;
  home: string;
}> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'adloom-bench-'));
  fs.chmodSync(home, 0o755);
  const services = await startServices(loadConfig({ ...process.env, LOG_LEVEL: 'error' }), {
    home,
    ephemeral: true,
  });
  const config = loadConfig({
    ...process.env,
    ...services.env,
    LOG_LEVEL: 'error',
    QUEUE_PREFIX: `bench${randomBytes(3).toString('hex')}`,
    S3_BUCKET: `bench-${randomBytes(3).toString('hex')}`,
    TRACKING_SECRET: randomBytes(32).toString('base64url'),
  });
  await migrate(config.DATABASE_URL!);
  return { config, services, home };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
