import { parentPort } from 'node:worker_threads';
import { Episode, runEpisode } from './simulate';

/** Runs the episodes the main thread sends, one at a time, and posts each result back. */
parentPort?.on('message', (message: { id: number; episode: Episode }) => {
  parentPort?.postMessage({ id: message.id, result: runEpisode(message.episode) });
});
