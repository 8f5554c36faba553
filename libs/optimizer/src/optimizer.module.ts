import { Module } from '@nestjs/common';
import { PlannerModule } from '@adloom/planner';
import { DeliveryModule } from '@adloom/delivery';
import { OptimizerController } from './optimizer.controller';
import { OptimizerRepository } from './optimizer.repository';
import { OptimizerService } from './optimizer.service';

@Module({
  imports: [PlannerModule, DeliveryModule],
  controllers: [OptimizerController],
  providers: [OptimizerRepository, OptimizerService],
  exports: [OptimizerService],
})
export class OptimizerModule {}
