import { Injectable } from '@nestjs/common';
import { JobData, JobHandler } from '@adloom/queue';
import { WaveEvents } from './wave-events';

/** The flow's parent: runs after every variant job of the wave; Postgres decides whether the wave is done. */
@Injectable()
export class WaveHandler {
  constructor(private readonly events: WaveEvents) {}

  @JobHandler('wave')
  async handle(data: JobData<'wave'>): Promise<void> {
    await this.events.waveMayBeDone(data.waveId);
  }
}
