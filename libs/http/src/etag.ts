import { CommonError } from '@adloom/common';
import { createHash } from 'node:crypto';

export function etagOf(...parts: (string | number | Date)[]): string {
  const text = parts.map((p) => (p instanceof Date ? p.toISOString() : String(p))).join('|');
  return `"${createHash('sha1').update(text).digest('base64url').slice(0, 22)}"`;
}

/** PATCH with If-Match: the write goes ahead only when the client saw the current version. */
export function assertIfMatch(ifMatch: string | undefined, current: string): void {
  if (ifMatch === undefined || ifMatch === '*') return;
  const tags = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!tags.includes(current)) {
    throw new CommonError('precondition_failed', 'The resource changed since you read it; fetch it again.', {
      field: 'If-Match',
      currentEtag: current,
    });
  }
}
