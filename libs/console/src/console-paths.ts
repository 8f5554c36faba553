import { extname } from 'node:path';

/** Content types of the files a Vite build of the console holds. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export const CONSOLE_INDEX = 'index.html';

/** Segments of a servable file name: no dot files, no `..`, no separators, no encoded tricks. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export interface ConsoleAsset {
  /** Path relative to the console's build folder, with `/` separators. */
  path: string;
  contentType: string;
  /** Vite names files under `assets/` by their content hash: they can be cached for good. */
  immutable: boolean;
}

/**
 * What a request under `/console/` asks for. A path without an extension is a page of the single-page
 * app and gets `index.html`; a file name is served only when every segment is plain and its type is
 * one the build produces. Anything else is undefined (404).
 */
export function consoleAsset(requested: string): ConsoleAsset | undefined {
  const trimmed = requested.replace(/^\/+/, '');
  if (trimmed === '') return { path: CONSOLE_INDEX, contentType: CONTENT_TYPES['.html'], immutable: false };
  const segments = trimmed.split('/');
  if (!segments.every((segment) => SEGMENT.test(segment) && !segment.includes('..'))) return undefined;
  const extension = extname(trimmed).toLowerCase();
  if (extension === '') return { path: CONSOLE_INDEX, contentType: CONTENT_TYPES['.html'], immutable: false };
  const contentType = CONTENT_TYPES[extension];
  if (!contentType) return undefined;
  return { path: segments.join('/'), contentType, immutable: segments[0] === 'assets' };
}

/**
 * The console's page policy: scripts, styles and API calls from this origin only; renders and posters
 * come from the object store (any origin, since presigned URLs point at S3 or a CDN).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob: https: http:",
  "media-src 'self' blob: https: http:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
