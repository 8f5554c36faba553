import type { Api } from './api';

/** What a page gets to draw itself: the API, the main element, the route, and a signal that aborts on leaving. */
export interface PageContext {
  api: Api;
  main: HTMLElement;
  params: Record<string, string>;
  query: URLSearchParams;
  signal: AbortSignal;
}

export type PageView = (context: PageContext) => Promise<void> | void;
