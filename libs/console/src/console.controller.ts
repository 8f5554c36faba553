import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@adloom/auth';
import { ConsoleError } from './console.errors';
import { ConsoleFiles } from './console-files';
import { CONSOLE_CSP, consoleAsset } from './console-paths';

/** The web console: a single-page app whose files anyone may fetch; everything it shows needs an API key. */
@ApiExcludeController()
@Public()
@Controller('console')
export class ConsoleController {
  constructor(private readonly files: ConsoleFiles) {}

  @Get()
  index(@Res() reply: FastifyReply) {
    return this.send('', reply);
  }

  @Get('*')
  file(@Param('*') path: string, @Res() reply: FastifyReply) {
    return this.send(path, reply);
  }

  private async send(requested: string, reply: FastifyReply) {
    if (!this.files.built) {
      throw new ConsoleError('console_not_built', 'The console is not built: run `npm run build`.');
    }
    const asset = consoleAsset(requested);
    const opened = asset && (await this.files.open(asset));
    if (!asset || !opened) throw new ConsoleError('file_not_found', `The console has no file ${requested}.`);
    void reply
      .header('content-type', asset.contentType)
      .header('content-length', opened.bytes)
      .header('last-modified', opened.modified.toUTCString())
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (asset.contentType.startsWith('text/html')) {
      void reply
        .header('content-security-policy', CONSOLE_CSP)
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY');
    }
    return reply.send(opened.body);
  }
}
