import { h } from './dom';
import { colorOf } from './palette';
import type { Campaign, Segment, Variant, VariantState } from './types';

/** A variant with what the console shows about it: its number in the campaign, names and colour. */
export interface VariantInfo {
  variant: Variant;
  /** 1-based, in creation order: "V3". */
  number: number;
  tag: string;
  template: string;
  segment: Segment | undefined;
  headline: string;
  /** "V3 · All weather · Students (en-US)". */
  label: string;
  color: string;
}

export function describeVariants(
  campaign: Campaign,
  variants: readonly Variant[],
  segments: ReadonlyMap<string, Segment>,
): Map<string, VariantInfo> {
  const templates = new Map(
    campaign.templates.map((template) => [template.templateVersionId, template.name]),
  );
  return new Map(
    variants.map((variant, index) => {
      const segment = segments.get(variant.segmentId);
      const template = templates.get(variant.templateVersionId) ?? 'Template';
      const tag = `V${index + 1}`;
      const headline = typeof variant.copy.headline === 'string' ? variant.copy.headline : '';
      return [
        variant.id,
        {
          variant,
          number: index + 1,
          tag,
          template,
          segment,
          headline,
          label: `${tag} · ${template} · ${segment?.name ?? 'segment'} (${variant.locale})`,
          color: colorOf(index),
        },
      ];
    }),
  );
}

export const STATE_LABELS: Record<VariantState, string> = {
  queued: 'Queued',
  generating: 'Generating',
  composing: 'Composing',
  ready: 'Ready for review',
  failed: 'Failed',
  approved: 'Approved',
  rejected: 'Rejected',
  paused: 'Paused',
  cancelled: 'Cancelled',
};

export const canApprove = (state: VariantState) => state === 'ready' || state === 'rejected';
export const canReject = (state: VariantState) =>
  state === 'ready' || state === 'approved' || state === 'paused';

/** "V3" on the variant's colour, the key that ties a card to its lines in the charts. */
export function variantTag(info: VariantInfo): HTMLElement {
  const tag = h('span', { class: 'tag' }, info.tag);
  tag.style.setProperty('--variant-color', info.color);
  return tag;
}
