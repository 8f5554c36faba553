import { consoleAsset } from './console-paths';

describe('consoleAsset', () => {
  it('serves index.html for the root and for app paths without an extension', () => {
    for (const path of ['', '/', 'campaigns', 'campaigns/123/gallery']) {
      expect(consoleAsset(path)).toEqual({
        path: 'index.html',
        contentType: 'text/html; charset=utf-8',
        immutable: false,
      });
    }
  });

  it('serves hashed build assets as immutable with their content type', () => {
    expect(consoleAsset('assets/index-B2x9_aQ1.js')).toEqual({
      path: 'assets/index-B2x9_aQ1.js',
      contentType: 'text/javascript; charset=utf-8',
      immutable: true,
    });
    expect(consoleAsset('assets/index-Dq1.css')?.contentType).toBe('text/css; charset=utf-8');
    expect(consoleAsset('favicon.svg')).toMatchObject({ contentType: 'image/svg+xml', immutable: false });
  });

  it('refuses traversal, dot files, odd characters and unknown types', () => {
    for (const path of [
      '../package.json',
      'assets/../../.env',
      'assets/..%2f..%2fsecret.js',
      '.env',
      'assets/.hidden.js',
      'assets\\index.js',
      'a//b.js',
      'server.ts',
      'dump.sql',
      'assets/x.js\u0000.png',
    ]) {
      expect(consoleAsset(path)).toBeUndefined();
    }
  });
});
