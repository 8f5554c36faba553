import { Injectable } from '@nestjs/common';
import { Scratch } from '@adloom/common';
import { Ffmpeg, MediaError } from '@adloom/media';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CampaignError } from './campaigns.errors';
import { MUSIC_MAX_SECONDS, MediaKind, judgeAudio, musicEncodeArgs, readImageHeader } from './media-types';

/** A decoded upload, re-encoded: the bytes to store and what they are. */
export interface DecodedMedia {
  bytes: Buffer;
  kind: MediaKind;
}

const DECODE_TIMEOUT_MS = 30_000;
const PNG: MediaKind = { contentType: 'image/png', extension: 'png' };

const refused = (what: string, reason: string) =>
  new CampaignError('undecodable_media', `The ${what} ${reason}.`, { field: 'body', reason });

/**
 * Decodes uploads with ffmpeg rather than trusting their first bytes: a logo's header is read and
 * its size bounded before anything decodes it, then it is decoded and written again as a clean PNG;
 * music is probed by ffprobe (a real audio stream of bounded duration) and encoded again. Whatever
 * does not decode is refused with the reason.
 */
@Injectable()
export class UploadDecoder {
  constructor(
    private readonly ffmpeg: Ffmpeg,
    private readonly scratch: Scratch,
  ) {}

  async logo(bytes: Buffer): Promise<DecodedMedia> {
    const header = readImageHeader(bytes);
    if ('refused' in header) throw refused('logo', header.refused);
    return this.scratch.withDir('logo', async (dir) => {
      const input = path.join(dir, `in.${header.format === 'png' ? 'png' : 'jpg'}`);
      const output = path.join(dir, 'out.png');
      await writeFile(input, bytes);
      const decoder = header.format === 'png' ? 'png_pipe' : 'jpeg_pipe';
      await this.decode('logo', () =>
        this.ffmpeg.run(
          ['-xerror', '-err_detect', 'explode', '-f', decoder, '-i', input, '-frames:v', '1'].concat([
            '-map_metadata',
            '-1',
            '-c:v',
            'png',
            '-pix_fmt',
            'rgba',
            '-f',
            'image2',
            '-update',
            '1',
            output,
          ]),
          { timeoutMs: DECODE_TIMEOUT_MS },
        ),
      );
      const probe = await this.decode('logo', () =>
        this.ffmpeg.probe(output, { timeoutMs: DECODE_TIMEOUT_MS }),
      );
      const image = probe.streams.find((stream) => stream.codecType === 'video');
      if (!image || image.width !== header.width || image.height !== header.height)
        throw refused('logo', 'does not decode to the image its header declares');
      return { bytes: await readFile(output), kind: PNG };
    });
  }

  async music(bytes: Buffer): Promise<DecodedMedia> {
    return this.scratch.withDir('music', async (dir) => {
      const input = path.join(dir, 'in');
      await writeFile(input, bytes);
      const probe = await this.decode('music', () =>
        this.ffmpeg.probe(input, { timeoutMs: DECODE_TIMEOUT_MS }),
      );
      const judged = judgeAudio({
        formatName: probe.format.formatName,
        durationSec: probe.format.durationSec,
        streams: probe.streams,
      });
      if ('refused' in judged) throw refused('music', judged.refused);
      const output = path.join(dir, `out.${judged.extension}`);
      await this.decode('music', () =>
        this.ffmpeg.run(
          [
            '-xerror',
            '-i',
            input,
            '-map',
            '0:a:0',
            '-vn',
            '-map_metadata',
            '-1',
            '-t',
            String(MUSIC_MAX_SECONDS),
            ...musicEncodeArgs(judged),
            output,
          ],
          { timeoutMs: DECODE_TIMEOUT_MS },
        ),
      );
      const encoded = await readFile(output).catch(() => Buffer.alloc(0));
      if (encoded.length === 0) throw refused('music', 'holds no decodable audio');
      return { bytes: encoded, kind: judged };
    });
  }

  /** ffmpeg's or ffprobe's failure on the upload, as the caller's 422. */
  private async decode<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof MediaError && (error.code === 'invalid_input' || error.code === 'ffmpeg_failed'))
        throw refused(what, 'cannot be decoded');
      throw error;
    }
  }
}
