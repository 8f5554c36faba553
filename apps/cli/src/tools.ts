import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

const has = (command: string) =>
  spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/**
 * The OS packages Adloom runs (ffmpeg, a font, redis-server when Redis is embedded). Installs the
 * missing ones with apt-get when this is a Debian/Ubuntu machine and we are root; otherwise names them.
 */
export function ensureTools(needRedis: boolean, log: (line: string) => void): void {
  const missing: string[] = [];
  if (!has('ffmpeg') || !has('ffprobe')) missing.push('ffmpeg');
  if (!fs.existsSync(FONT)) missing.push('fonts-dejavu-core');
  if (needRedis && !has('redis-server')) missing.push('redis-server');
  if (!missing.length) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    log(`installing ${missing.join(', ')} with apt-get…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const install = spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
    if (install.status === 0) return;
  }
  throw new Error(
    `Adloom needs ${missing.join(', ')}. Install them (Debian/Ubuntu: \`sudo apt-get install ${missing.join(' ')}\`; macOS: \`brew install ${missing.map((m) => (m === 'fonts-dejavu-core' ? 'font-dejavu' : m === 'redis-server' ? 'redis' : m)).join(' ')}\`) and run again.`,
  );
}
