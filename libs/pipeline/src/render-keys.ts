import { createHash } from 'node:crypto';

/** A render's id is fixed by its variant and format, so a retried compose rewrites the same row and objects. */
export function renderIdFor(variantId: string, format: string): string {
  const h = createHash('sha1').update(`render:${variantId}:${format}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const renderKeys = (workspaceId: string, campaignId: string, variantId: string) => {
  const base = `renders/${workspaceId}/${campaignId}/${variantId}`;
  return {
    prefix: `${base}/`,
    video: (format: string) => `${base}/${format}.mp4`,
    poster: (format: string) => `${base}/${format}.jpg`,
    manifest: (format: string) => `${base}/${format}.manifest.json`,
    vtt: `${base}/captions.vtt`,
    srt: `${base}/captions.srt`,
  };
};
