import { z } from 'zod';
import { SEGMENT_KEY_PATTERN } from '@adloom/engagement';

const segment = z
  .string()
  .regex(SEGMENT_KEY_PATTERN, 'must be a segment key (letters, digits, _ . -; at most 64)');
const format = z.string().regex(/^\d{1,2}x\d{1,2}$/, 'must be a format such as 9x16');

export const campaignParamsSchema = z.object({ campaignId: z.guid('must be a UUID') });
export const adQuerySchema = z.object({
  segment,
  format: format.optional(),
  viewer: z.string().min(1).max(256).optional(),
});
export const catalogQuerySchema = z.object({ segment: segment.optional() });
