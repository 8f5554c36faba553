import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closedFolderOnTheWay } from './postgres-as-root';

describe('closedFolderOnTheWay', () => {
  let top: string;
  beforeEach(() => {
    top = fs.mkdtempSync(path.join(os.tmpdir(), 'adloom-closed-'));
  });
  afterEach(() => {
    fs.chmodSync(top, 0o755);
    fs.rmSync(top, { recursive: true, force: true });
  });

  it('names the first folder other users cannot enter', () => {
    fs.mkdirSync(path.join(top, 'checkout/node_modules'), { recursive: true });
    fs.chmodSync(top, 0o700); // what mktemp -d and root's home give
    expect(closedFolderOnTheWay(path.join(top, 'checkout/node_modules'))).toBe(top);
  });

  it('finds none when every folder on the way can be entered', () => {
    fs.mkdirSync(path.join(top, 'checkout'), { recursive: true });
    fs.chmodSync(top, 0o755);
    expect(closedFolderOnTheWay(path.join(top, 'checkout'))).toBeUndefined();
  });

  it('stops at the first folder not made yet', () => {
    fs.chmodSync(top, 0o755);
    expect(closedFolderOnTheWay(path.join(top, 'not/made/yet'))).toBeUndefined();
  });
});
