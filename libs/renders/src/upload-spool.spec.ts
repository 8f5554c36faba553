import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { Scratch } from '@adloom/common';
import { RendersError } from './renders.errors';
import { UploadSpool } from './upload-spool';

describe('UploadSpool', () => {
  const spool = new UploadSpool(new Scratch());

  it('writes the body to a file with its size and sha256, and removes the file afterwards', async () => {
    const chunks = [randomBytes(70_000), randomBytes(3), randomBytes(100_000)];
    const whole = Buffer.concat(chunks);
    let seenPath = '';
    const result = await spool.withFile(Readable.from(chunks), 1_000_000, async (file) => {
      seenPath = file.path;
      expect(await readFile(file.path)).toEqual(whole);
      return file;
    });
    expect(result.bytes).toBe(whole.length);
    expect(result.sha256).toBe(createHash('sha256').update(whole).digest('hex'));
    expect(existsSync(seenPath)).toBe(false);
  });

  it('stops at the limit, drains the rest of the body instead of destroying it, and keeps no file', async () => {
    const body = new PassThrough();
    const work = jest.fn();
    const spooled = spool.withFile(body, 1000, work);
    body.write(randomBytes(600));
    body.write(randomBytes(600));
    await expect(spooled).rejects.toMatchObject({ code: 'upload_too_large', status: 413 });
    // A destroyed body closes without ending; a drained one ends first.
    const outcome = new Promise((resolve) => {
      body.once('end', () => resolve('drained'));
      body.once('close', () => resolve('closed'));
    });
    body.end(randomBytes(600));
    expect(await outcome).toBe('drained');
    expect(work).not.toHaveBeenCalled();
  });

  it('refuses an empty body', async () => {
    await expect(spool.withFile(Readable.from([]), 1000, jest.fn())).rejects.toBeInstanceOf(RendersError);
  });
});
