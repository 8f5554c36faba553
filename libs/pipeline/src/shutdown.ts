import { Injectable } from '@nestjs/common';

/** Aborted when a worker's shutdown grace runs out: long work (ffmpeg, a model call) stops and hands its job back. */
@Injectable()
export class ShutdownSignal {
  private readonly controller = new AbortController();

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(): void {
    this.controller.abort(new Error('the worker is shutting down'));
  }
}
