import { Module } from '@nestjs/common';
import { GenerationModule } from '@adloom/generation';
import { VariantLifecycle } from './lifecycle';
import { PlannerController } from './planner.controller';
import { PlannerRepository } from './planner.repository';
import { PlannerService } from './planner.service';
import { ProgressService } from './progress';

@Module({
  imports: [GenerationModule],
  controllers: [PlannerController],
  providers: [PlannerRepository, PlannerService, ProgressService, VariantLifecycle],
  exports: [PlannerService, ProgressService, VariantLifecycle],
})
export class PlannerModule {}
