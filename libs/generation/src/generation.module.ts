import { Module } from '@nestjs/common';
import { GeneratorRegistry } from './generator-registry';

@Module({ providers: [GeneratorRegistry], exports: [GeneratorRegistry] })
export class GenerationModule {}
