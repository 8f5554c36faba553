import { Module } from '@nestjs/common';
import { PlannerModule } from '@adloom/planner';
import { OptimizerController } from './optimizer.controller';
import { OptimizerRepository } from './optimizer.repository';
import { OptimizerService } from './optimizer.service';

@Module({
  imports: [PlannerModule],
  controllers: [OptimizerController],
  providers: [OptimizerRepository, OptimizerService],
  exports: [OptimizerService],
})
export class OptimizerModule {}
