export * from './campaigns.errors';
export * from './state-machine';
export * from './render';
export * from './media-types';
export * from './segment-csv';
export * from './schemas';
export {
  BrandKitsService,
  toBrandKitRecord,
  type BrandKitRecord,
  type BrandKitView,
  type StoredMediaView,
} from './brand-kits.service';
export {
  TemplatesService,
  type PreviewView,
  type TemplateVersionRecord,
  type TemplateVersionView,
  type TemplateView,
} from './templates.service';
export { SegmentsService, type SegmentRecord, type SegmentView } from './segments.service';
export { CampaignsService, type CampaignPlan, type CampaignView } from './campaigns.service';
export type { CampaignTemplateRef } from './campaigns.repository';
export { VariantsService, type VariantRenderView, type VariantView } from './variants.service';
export { ContentPolicyService, type ContentPolicyView } from './content-policy.service';
export { CampaignsModule } from './campaigns.module';
export { exampleDir, loadExample, type ExampleIds, type LoadExampleOptions } from './example-loader';
