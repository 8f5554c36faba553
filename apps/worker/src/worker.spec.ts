import { QUEUES } from '@adloom/queue';
import { parseWorkerQueues } from './worker';

describe('worker queues', () => {
  it('serves the engagement stream with --queues engagement, alone or beside BullMQ queues', () => {
    expect(parseWorkerQueues('engagement')).toEqual({ queues: [], engagement: true });
    expect(parseWorkerQueues('compose, engagement,optimize')).toEqual({
      queues: ['compose', 'optimize'],
      engagement: true,
    });
    expect(parseWorkerQueues('generate')).toEqual({ queues: ['generate'], engagement: false });
  });

  it('serves everything, the stream included, when no list is given', () => {
    expect(parseWorkerQueues('')).toEqual({ queues: [...QUEUES], engagement: true });
  });

  it('still refuses a queue it does not know', () => {
    expect(() => parseWorkerQueues('engagment')).toThrow(/Unknown queue\(s\): engagment/);
  });
});
