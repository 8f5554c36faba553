import { Module } from '@nestjs/common';
import { CaptionsController } from './captions.controller';
import { CaptionsRepository } from './captions.repository';
import { ConsoleController } from './console.controller';
import { ConsoleFiles, findConsoleBuild } from './console-files';

/** The web console's files at `/console`, and the captions its gallery plays renders with. */
@Module({
  controllers: [ConsoleController, CaptionsController],
  providers: [
    CaptionsRepository,
    { provide: ConsoleFiles, useFactory: () => new ConsoleFiles(findConsoleBuild()) },
  ],
})
export class ConsoleModule {}
