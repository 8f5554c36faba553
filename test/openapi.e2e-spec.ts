import fs from 'node:fs';
import path from 'node:path';
import { buildOpenApi } from '../apps/api/src/app';
import { TestApi } from './support/harness';

const COMMITTED = path.resolve(__dirname, '../openapi.json');

describe('openapi.json', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(() => api.close());

  it('matches the document the code generates (run `npm run openapi` after changing the API)', () => {
    const generated = JSON.stringify(buildOpenApi(api.app), null, 2) + '\n';
    if (process.env.UPDATE_OPENAPI === '1') fs.writeFileSync(COMMITTED, generated);
    const committed = fs.existsSync(COMMITTED) ? fs.readFileSync(COMMITTED, 'utf8') : '';
    expect(committed).toBe(generated);
  });

  it('serves the same document at /docs-json', async () => {
    const res = await api.request('GET', '/docs-json');
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body, null, 2) + '\n').toBe(
      JSON.stringify(buildOpenApi(api.app), null, 2) + '\n',
    );
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/campaigns/{id}/generate', '/v1/delivery/{campaignId}/ad', '/v1/events']),
    );
  });
});
