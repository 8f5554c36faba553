import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Node.js releases Adloom runs on (24 LTS is the one it is built and tested with). */
export const MIN_NODE = [22, 12] as const;

interface SystemPackage {
  /** The Debian/Ubuntu package. */
  debian: string;
  /** The Homebrew formula or cask, for the message on a Mac. */
  brew: string;
  present(): boolean;
  /** Needed only by the test suite, not to run Adloom. */
  testsOnly?: boolean;
  /** Needed only where Redis is embedded. */
  embeddedRedisOnly?: boolean;
}

const has = (command: string) =>
  spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** What Adloom takes from the operating system, and how to tell each is there. */
export const SYSTEM_PACKAGES: readonly SystemPackage[] = [
  { debian: 'ffmpeg', brew: 'ffmpeg', present: () => has('ffmpeg') && has('ffprobe') },
  {
    debian: 'fonts-dejavu-core',
    brew: 'font-dejavu',
    present: () => fs.existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'),
  },
  {
    // Glyphs for scripts a brand font lacks (Thai, Devanagari, Arabic, …) in headlines and captions.
    debian: 'fonts-noto-core',
    brew: 'font-noto-sans',
    present: () => fs.existsSync('/usr/share/fonts/truetype/noto'),
  },
  {
    // Black-and-white emoji glyphs for headlines and captions (libass draws no colour fonts).
    debian: 'fonts-symbola',
    brew: 'font-symbola',
    present: () => fs.existsSync('/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf'),
  },
  { debian: 'fontconfig', brew: 'fontconfig', present: () => has('fc-match') },
  { debian: 'redis-server', brew: 'redis', present: () => has('redis-server'), embeddedRedisOnly: true },
  { debian: 'libxml2-utils', brew: 'libxml2', present: () => has('xmllint'), testsOnly: true },
  { debian: 'chromium', brew: 'chromium', present: () => has('chromium'), testsOnly: true },
];

export interface ToolNeeds {
  /** Redis is embedded (no REDIS_URL), so redis-server must be installed. */
  redis: boolean;
  /** The test suite runs: xmllint and Chromium too. */
  tests?: boolean;
}

/** The Node.js problem, if this runtime is older than Adloom supports. */
export function nodeProblem(version = process.versions.node): string | undefined {
  const [major, minor] = version.split('.').map(Number);
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])) return undefined;
  return `Adloom needs Node.js ≥ ${MIN_NODE.join('.')} (24 LTS recommended); this is ${version}.`;
}

/**
 * Checks the runtime and the OS packages Adloom needs before anything else runs. As root on
 * Debian/Ubuntu it installs the missing packages with apt-get; elsewhere it names them and throws.
 */
export function ensureTools(needs: ToolNeeds, log: (line: string) => void): void {
  const old = nodeProblem();
  if (old) throw new Error(old);
  const missing = SYSTEM_PACKAGES.filter(
    (pkg) => (needs.tests || !pkg.testsOnly) && (needs.redis || !pkg.embeddedRedisOnly) && !pkg.present(),
  );
  if (!missing.length) return;
  const names = missing.map((pkg) => pkg.debian);
  const root = process.getuid?.() === 0;
  if (root && has('apt-get')) {
    log(`installing ${names.join(', ')} with apt-get…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const install = spawnSync('apt-get', ['install', '-y', '-qq', ...names], {
      stdio: 'inherit',
      env,
    });
    const still = missing.filter((pkg) => !pkg.present());
    if (install.status === 0 && !still.length) return;
  }
  throw new Error(
    `Adloom needs ${names.join(', ')}. Install them (Debian/Ubuntu: \`sudo apt-get install ${names.join(' ')}\`; ` +
      `macOS: \`brew install ${missing.map((pkg) => pkg.brew).join(' ')}\`) and run again.`,
  );
}
