import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const COMMITTED = path.join(ROOT, 'apps/console/src/openapi.d.ts');
const bin = (name: string) => path.join(ROOT, 'node_modules/.bin', name);

describe('openapi.d.ts', () => {
  it('is what openapi-typescript makes of the committed openapi.json (run `npm run openapi:console`)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'adloom-openapi-'));
    try {
      const generated = path.join(dir, 'openapi.d.ts');
      execFileSync(bin('openapi-typescript'), [path.join(ROOT, 'openapi.json'), '-o', generated], {
        cwd: ROOT,
        stdio: 'pipe',
      });
      const formatted = execFileSync(bin('prettier'), ['--stdin-filepath', COMMITTED], {
        cwd: ROOT,
        input: readFileSync(generated),
        encoding: 'utf8',
      });
      expect(readFileSync(COMMITTED, 'utf8')).toBe(formatted);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
