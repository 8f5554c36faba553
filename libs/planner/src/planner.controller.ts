import {
  CanActivate,
  Controller,
  ExecutionContext,
  Get,
  HttpCode,
  Injectable,
  MessageEvent,
  Param,
  Post,
  Sse,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { CurrentPrincipal, Principal, Roles } from '@adloom/auth';
import { parseOrThrow } from '@adloom/http';
import { distinctUntilChanged, from, interval, map, Observable, startWith, switchMap, takeWhile } from 'rxjs';
import { PlannerService } from './planner.service';
import { ProgressService } from './progress';

const campaignIdSchema = z.object({ id: z.uuid() });
class CampaignIdDto extends createZodDto(campaignIdSchema) {}

/**
 * Checks the campaign before a progress stream opens: Nest starts an SSE answer without waiting for
 * the handler, so a check inside the handler races the 200 and ends up as an `error` event. A guard
 * runs first, and its 404 is an ordinary problem answer.
 */
@Injectable()
class CampaignVisibleGuard implements CanActivate {
  constructor(private readonly progress: ProgressService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ params: unknown; principal?: Principal }>();
    const { id } = parseOrThrow(campaignIdSchema, request.params, 'path');
    if (!request.principal) return false;
    await this.progress.progress(request.principal.workspaceId, id);
    return true;
  }
}

const PROGRESS_TICK_MS = 1_000;

@ApiTags('generation')
@ApiBearerAuth()
@Controller('v1/campaigns')
export class PlannerController {
  constructor(
    private readonly planner: PlannerService,
    private readonly progress: ProgressService,
  ) {}

  /** Expands the campaign into variants and starts generating them (202: the work goes on in the background). */
  @Post(':id/generate')
  @Roles('marketer')
  @HttpCode(202)
  generate(@CurrentPrincipal() principal: Principal, @Param() params: CampaignIdDto) {
    return this.planner.generate(principal.workspaceId, params.id);
  }

  @Get(':id/progress')
  @Roles('marketer', 'analyst')
  get(@CurrentPrincipal() principal: Principal, @Param() params: CampaignIdDto) {
    return this.progress.progress(principal.workspaceId, params.id);
  }

  /** Server-sent events: a `progress` message on every change, until the wave is done. */
  @Sse(':id/progress/stream')
  @Roles('marketer', 'analyst')
  @UseGuards(CampaignVisibleGuard)
  async stream(
    @CurrentPrincipal() principal: Principal,
    @Param() params: CampaignIdDto,
  ): Promise<Observable<MessageEvent>> {
    await this.progress.progress(principal.workspaceId, params.id);
    return interval(PROGRESS_TICK_MS).pipe(
      startWith(0),
      switchMap(() => from(this.progress.progress(principal.workspaceId, params.id))),
      distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
      takeWhile((p) => p.status === 'generating' || p.status === 'draft', true),
      map((data) => ({ type: 'progress', data })),
    );
  }
}
