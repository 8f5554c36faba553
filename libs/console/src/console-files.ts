import { Injectable } from '@nestjs/common';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { CONSOLE_INDEX, ConsoleAsset } from './console-paths';

/** `dist/console` (where `npm run build` puts the console) found by walking up from `from`; undefined when not built. */
export function findConsoleBuild(from = __dirname): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'dist', 'console');
    if (existsSync(join(candidate, CONSOLE_INDEX))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface OpenedFile {
  body: Readable;
  bytes: number;
  modified: Date;
}

/** The built console's files on disk. */
@Injectable()
export class ConsoleFiles {
  constructor(readonly root: string | undefined) {}

  get built(): boolean {
    return this.root !== undefined;
  }

  /** The file's stream and size, or undefined when the build has no such file. */
  async open(asset: ConsoleAsset): Promise<OpenedFile | undefined> {
    if (!this.root) return undefined;
    const file = resolve(this.root, asset.path);
    if (!file.startsWith(this.root + sep)) return undefined;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return { body: createReadStream(file), bytes: info.size, modified: info.mtime };
  }
}
