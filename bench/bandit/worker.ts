import { parentPort } from 'node:worker_threads';
import { CampaignTask, runCampaign } from './campaigns';
import { Episode, runEpisode } from './simulate';

export type WorkItem = { episode: Episode } | { campaign: CampaignTask };

/** Runs the episodes and campaigns the main thread sends, one at a time, and posts each result back. */
parentPort?.on('message', ({ id, item }: { id: number; item: WorkItem }) => {
  const result = 'episode' in item ? runEpisode(item.episode) : runCampaign(item.campaign);
  parentPort?.postMessage({ id, result });
});
