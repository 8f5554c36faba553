/** Hash routes: `#/campaigns/:id/gallery?segment=…`. */
export interface Route {
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface RouteDefinition<T> {
  pattern: string;
  page: T;
}

/** Splits `#/a/b?x=1` into its path and query. */
export function parseHash(hash: string): { path: string; query: URLSearchParams } {
  const raw = hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?', 2);
  return { path: path.startsWith('/') ? path : `/${path}`, query: new URLSearchParams(search) };
}

/** The first definition whose pattern (`/campaigns/:id`) matches `path`, with its parameters. */
export function matchRoute<T>(
  definitions: readonly RouteDefinition<T>[],
  path: string,
): { page: T; params: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const definition of definitions) {
    const pattern = definition.pattern.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((segment, index) => {
      if (segment.startsWith(':')) {
        params[segment.slice(1)] = decodeURIComponent(parts[index]);
        return true;
      }
      return segment === parts[index];
    });
    if (matches) return { page: definition.page, params };
  }
  return undefined;
}

export function hrefOf(path: string, query?: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) if (value) search.set(name, value);
  const text = search.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

export function navigate(path: string, query?: Record<string, string | undefined>): void {
  window.location.hash = hrefOf(path, query).slice(1);
}

/** Rewrites the query of the current route without a navigation (filters a user changes in place). */
export function replaceQuery(query: Record<string, string | undefined>): void {
  const { path } = parseHash(window.location.hash);
  history.replaceState(history.state, '', hrefOf(path, query));
}

/** Draws the current route again, with fresh data. */
export const reload = (): void => void window.dispatchEvent(new HashChangeEvent('hashchange'));
