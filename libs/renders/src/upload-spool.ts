import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Scratch } from '@adloom/common';
import { RendersError } from './renders.errors';

export interface SpooledFile {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Writes an uploaded body to a scratch file while hashing it, so a large video is never held in memory,
 * and removes the file when the work on it is done.
 */
@Injectable()
export class UploadSpool {
  constructor(private readonly scratch: Scratch) {}

  async withFile<T>(body: Readable, maxBytes: number, work: (file: SpooledFile) => Promise<T>): Promise<T> {
    return this.scratch.withDir('upload', async (dir) => {
      const file = path.join(dir, 'upload');
      const hash = createHash('sha256');
      let bytes = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          if (bytes > maxBytes) {
            done(tooLarge(maxBytes));
            return;
          }
          hash.update(chunk);
          done(null, chunk);
        },
      });
      const written = pipeline(meter, createWriteStream(file));
      // The request is piped rather than part of the pipeline: on an error the rest of it is read and
      // dropped instead of the connection being destroyed, so the client still gets the answer.
      const onError = (error: Error) => meter.destroy(error);
      const onClose = () => {
        if (!body.readableEnded) meter.destroy(new Error('the upload was aborted'));
      };
      body.once('error', onError);
      body.once('close', onClose);
      body.pipe(meter);
      try {
        await written;
      } catch (error) {
        body.unpipe(meter);
        body.resume();
        throw error;
      } finally {
        body.off('error', onError);
        body.off('close', onClose);
      }
      if (bytes === 0)
        throw new RendersError('empty_upload', 'The upload is empty: send the video file as the body.');
      return work({ path: file, bytes, sha256: hash.digest('hex') });
    });
  }
}

export const tooLarge = (maxBytes: number) =>
  new RendersError(
    'upload_too_large',
    `The upload is larger than ${Math.round(maxBytes / 1024 / 1024)} MB.`,
    {
      maxBytes,
    },
  );
