import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  NoSuchKey,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { AdloomConfig, CONFIG } from '@adloom/config';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface PutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
}

export interface ObjectInfo {
  key: string;
  bytes: number;
  contentType?: string;
  metadata: Record<string, string>;
}

export function createS3Client(config: AdloomConfig): S3Client {
  const credentials =
    config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
      ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
      : undefined;
  return new S3Client({
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE ?? Boolean(config.S3_ENDPOINT),
    credentials,
    // Without these, S3-compatible servers that do not speak aws-chunked store the framing with the bytes.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** The one door to S3: streams in and out, multipart for large objects, presigned GET URLs. */
@Injectable()
export class ObjectStore implements OnModuleDestroy {
  readonly bucket: string;
  readonly client: S3Client;

  constructor(@Inject(CONFIG) config: AdloomConfig) {
    this.bucket = config.S3_BUCKET;
    this.client = createS3Client(config);
  }

  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch {
      await this.client
        .send(new CreateBucketCommand({ Bucket: this.bucket }))
        .catch((error: { name?: string }) => {
          if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
        });
    }
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Streams `body` to `key` (multipart in 5 MB parts, two in flight: memory stays near 15 MB whatever the size). */
  async put(key: string, body: Readable | Buffer | string, options: PutOptions = {}): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType,
        Metadata: options.metadata,
      },
      queueSize: 2,
      partSize: 5 * 1024 * 1024,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  /** Uploads a local file, hashing it on the way; returns its size and sha256. */
  async putFile(
    key: string,
    file: string,
    options: PutOptions = {},
  ): Promise<{ bytes: number; sha256: string }> {
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    const upload = this.put(key, tap, options).catch((error: Error) => {
      tap.destroy(error);
      throw error;
    });
    await Promise.all([upload, pipeline(createReadStream(file), tap)]);
    return { bytes, sha256: hash.digest('hex') };
  }

  /** Downloads an object to a local file. */
  async getToFile(key: string, file: string): Promise<void> {
    await pipeline(await this.get(key), createWriteStream(file));
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const out = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Range: range ? `bytes=${range.start}-${range.end}` : undefined,
      }),
    );
    return out.Body as Readable;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        bytes: out.ContentLength ?? 0,
        contentType: out.ContentType,
        metadata: out.Metadata ?? {},
      };
    } catch (error) {
      if (
        error instanceof NotFound ||
        error instanceof NoSuchKey ||
        (error as { name?: string }).name === 'NotFound'
      )
        return undefined;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const item of out.Contents ?? []) if (item.Key) keys.push(item.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    await this.delete(await this.list(prefix));
  }

  /** A GET URL valid for `ttlMs`. */
  presign(key: string, ttlMs: number, options: { contentType?: string } = {}): Promise<string> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentType: options.contentType }),
      { expiresIn: Math.max(1, Math.round(ttlMs / 1000)) },
    );
  }

  onModuleDestroy(): void {
    this.client.destroy();
  }
}
