import { hrefOf, matchRoute, parseHash } from './router';

describe('hash routes', () => {
  const routes = [
    { pattern: '/campaigns', page: 'list' },
    { pattern: '/campaigns/:id/gallery', page: 'gallery' },
  ];

  it('matches patterns and decodes parameters', () => {
    expect(matchRoute(routes, '/campaigns')).toEqual({ page: 'list', params: {} });
    expect(matchRoute(routes, '/campaigns/a%20b/gallery')).toEqual({
      page: 'gallery',
      params: { id: 'a b' },
    });
    expect(matchRoute(routes, '/campaigns/x')).toBeUndefined();
  });

  it('splits the path from the query and writes them back', () => {
    const { path, query } = parseHash('#/campaigns/1/gallery?format=9x16&segment=');
    expect(path).toBe('/campaigns/1/gallery');
    expect(query.get('format')).toBe('9x16');
    expect(parseHash('').path).toBe('/');
    expect(hrefOf('/campaigns/1/gallery', { format: '1x1', segment: undefined })).toBe(
      '#/campaigns/1/gallery?format=1x1',
    );
  });
});
