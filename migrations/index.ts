import { Foundation1732300000000 } from './1732300000000-foundation';
import { Campaigns1732300100000 } from './1732300100000-campaigns';
import { Engagement1732300200000 } from './1732300200000-engagement';
import { ClipGenerations1732300300000 } from './1732300300000-clip-generations';
import { AllocationCounts1732300400000 } from './1732300400000-allocation-counts';
import { ReportIndexes1732300600000 } from './1732300600000-report-indexes';
import { EventSeenCollation1732300650000 } from './1732300650000-event-seen-collation';
import { PlanOrderIndexes1732300700000 } from './1732300700000-plan-order-indexes';
import { VariantWaveScope1732300800000 } from './1732300800000-variant-wave-scope';
import { EdgeTags1732301000000 } from './1732301000000-edge-tags';
import { EventSeenPartitions1732301100000 } from './1732301100000-event-seen-partitions';
import { OptimizerDecisions1732301300000 } from './1732301300000-optimizer-decisions';
import { ProviderRouting1732301400000 } from './1732301400000-provider-routing';

/** Every migration in order. Generated, then read and tidied by hand; run by `adloom migrate`. */
export const MIGRATIONS = [
  Foundation1732300000000,
  Campaigns1732300100000,
  Engagement1732300200000,
  ClipGenerations1732300300000,
  AllocationCounts1732300400000,
  ReportIndexes1732300600000,
  EventSeenCollation1732300650000,
  PlanOrderIndexes1732300700000,
  VariantWaveScope1732300800000,
  EdgeTags1732301000000,
  EventSeenPartitions1732301100000,
  OptimizerDecisions1732301300000,
  ProviderRouting1732301400000,
];
