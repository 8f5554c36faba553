import { WeightTable } from './choose';

/**
 * What one campaign serves, held in memory by each edge process: per segment and format, the
 * approved variants that have a render in that format and a `WeightTable` to choose among them.
 */

export interface CampaignRow {
  id: string;
  workspaceId: string;
  status: string;
  name: string;
  landingUrl: string;
  version: number;
  formats: string[];
  advertiser: string | null;
  /** Measurement vendors' OMID scripts for the VAST. */
  adVerifications: { vendor: string; scriptUrl: string; parameters?: string }[];
}

export interface RenderRow {
  id: string;
  variantId: string;
  segmentKey: string;
  locale: string;
  headline: string | null;
  format: string;
  s3Key: string;
  width: number;
  height: number;
  durationMs: number;
  bytes: number;
  bitrateKbps: number;
  sha256: string;
  posterKey: string;
  captionsKey: string | null;
}

export interface AllocationRow {
  segmentKey: string;
  /** Variant id → weight, as the optimiser wrote it. */
  weights: Record<string, unknown>;
}

export interface ServableVariant {
  id: string;
  segmentKey: string;
  locale: string;
  headline: string | null;
  renders: Map<string, RenderRow>;
}

export interface FormatOffer {
  format: string;
  table: WeightTable;
  /** Variant id → its share of this segment × format, summing to 1 over the variants with weight. */
  shares: Map<string, number>;
}

export interface SegmentOffer {
  key: string;
  /** `allocation` when the optimiser's weights were used, `equal` when there were none to use. */
  weighting: 'allocation' | 'equal';
  variants: Map<string, ServableVariant>;
  formats: Map<string, FormatOffer>;
}

export interface CampaignSnapshot {
  campaign: CampaignRow;
  /** Changes whenever anything delivery depends on changes; see `DeliveryRepository`. */
  fingerprint: string;
  segments: Map<string, SegmentOffer>;
}

/**
 * Builds the offer. Within a segment and format, a variant's weight is the optimiser's (absent or
 * invalid counts as 0); with no allocation for the segment, or one that gives no weight to any
 * servable variant, the variants share equally, so an approved variant is never left without traffic
 * for want of a weight.
 */
export function buildSnapshot(
  campaign: CampaignRow,
  fingerprint: string,
  renders: readonly RenderRow[],
  allocations: readonly AllocationRow[],
): CampaignSnapshot {
  const segments = new Map<string, SegmentOffer>();
  const sorted = [...renders].sort(
    (a, b) => compare(a.variantId, b.variantId) || compare(a.format, b.format),
  );
  for (const render of sorted) {
    let segment = segments.get(render.segmentKey);
    if (!segment) {
      segment = { key: render.segmentKey, weighting: 'equal', variants: new Map(), formats: new Map() };
      segments.set(render.segmentKey, segment);
    }
    let variant = segment.variants.get(render.variantId);
    if (!variant) {
      variant = {
        id: render.variantId,
        segmentKey: render.segmentKey,
        locale: render.locale,
        headline: render.headline,
        renders: new Map(),
      };
      segment.variants.set(render.variantId, variant);
    }
    variant.renders.set(render.format, render);
  }

  const allocationOf = new Map(allocations.map((row) => [row.segmentKey, row.weights]));
  for (const segment of segments.values()) {
    const allocated = allocationOf.get(segment.key);
    const formats = new Set([...segment.variants.values()].flatMap((variant) => [...variant.renders.keys()]));
    for (const format of formats) {
      const candidates = [...segment.variants.values()].filter((variant) => variant.renders.has(format));
      let weights = candidates.map((variant) => ({
        variantId: variant.id,
        weight: weightOf(allocated, variant.id),
      }));
      if (allocated && weights.some((entry) => entry.weight > 0)) segment.weighting = 'allocation';
      else weights = candidates.map((variant) => ({ variantId: variant.id, weight: 1 }));
      const table = new WeightTable(weights);
      const shares = new Map(weights.map(({ variantId, weight }) => [variantId, weight / table.total]));
      segment.formats.set(format, { format, table, shares });
    }
  }
  return { campaign, fingerprint, segments };
}

function weightOf(weights: Record<string, unknown> | undefined, variantId: string): number {
  const weight = weights?.[variantId];
  return typeof weight === 'number' && Number.isFinite(weight) && weight > 0 ? weight : 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
