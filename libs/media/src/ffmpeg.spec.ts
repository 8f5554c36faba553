import { execFileSync } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { toWebVtt } from './captions';
import { ComposeInput, Ffmpeg } from './ffmpeg';
import { MediaError } from './errors';
import { checkRender, FORMAT_IDS, FORMATS } from './platforms';
import { audioStream, videoStream } from './probe';
import { SystemFonts } from './system-fonts';

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
const HEADLINE = `Summer sale: 50% off, it's "everything" — C:\\boards, [today]; {only}`;
const PRIMARY = { red: 0x14, green: 0x21, blue: 0x3d };

const ffmpeg = new Ffmpeg();
let dir: string;
let clipPath: string;
let logoFile: string;
let musicFile: string;

const input = (overrides: Partial<ComposeInput> = {}): ComposeInput => ({
  clipPath,
  brand: {
    fontFile: FONT,
    primaryColor: '#14213D',
    textColor: '#FFFFFF',
    accentColor: '#FCA311',
    logoFile,
    musicFile,
  },
  copy: { headline: HEADLINE, cta: 'Shop 50% off' },
  captions: [
    { startMs: 0, endMs: 1200, text: 'Sand, sun & {surf}' },
    { startMs: 1200, endMs: 2600, text: 'Boards for every level — from first paddle to pro' },
  ],
  formats: FORMAT_IDS,
  durationMs: 3000,
  metadata: { comment: 'adloom:manifest:test-0001' },
  ...overrides,
});

/** The average colour of one frame, as 0..255 RGB. */
async function averageColour(
  file: string,
  atSec: number,
): Promise<{ red: number; green: number; blue: number }> {
  const out = path.join(dir, `average-${Math.random().toString(36).slice(2)}.rgb`);
  await ffmpeg.run([
    '-ss',
    String(atSec),
    '-i',
    file,
    '-frames:v',
    '1',
    '-vf',
    'scale=1:1:flags=area',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    out,
  ]);
  const [red, green, blue] = await fs.readFile(out);
  return { red, green, blue };
}

/** Integrated loudness of a file's sound in LUFS, as ffmpeg's EBU R128 meter reports it. */
async function integratedLoudness(file: string): Promise<number> {
  const { stderr } = await ffmpeg.run([
    '-i',
    file,
    '-loglevel',
    'info',
    '-map',
    '0:a',
    '-af',
    'ebur128',
    '-f',
    'null',
    '-',
  ]);
  const match = /Integrated loudness:\s+I:\s+(-?[\d.]+) LUFS/.exec(stderr);
  if (!match) throw new Error(`no loudness summary in: ${stderr}`);
  return Number(match[1]);
}

/** Processes whose command line contains the marker. */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'adloom-ffmpeg-'));
  clipPath = path.join(dir, 'clip.mp4');
  await ffmpeg.renderProceduralClip({
    promptHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    prompt: 'Surfers paddling out at golden hour',
    width: 1280,
    height: 720,
    durationMs: 3000,
    fps: 30,
    outputPath: clipPath,
  });
  logoFile = path.join(dir, 'logo.png');
  await ffmpeg.run([
    '-f',
    'lavfi',
    '-i',
    'color=c=white@0:s=240x96,format=rgba,drawbox=x=8:y=8:w=80:h=80:color=0xFCA311:t=fill',
    '-frames:v',
    '1',
    logoFile,
  ]);
  // Two seconds of tone: shorter than the render, so it must loop.
  musicFile = path.join(dir, 'bed.m4a');
  await ffmpeg.run([
    '-f',
    'lavfi',
    '-i',
    'sine=f=220:d=2:sample_rate=44100',
    '-c:a',
    'aac',
    '-ac',
    '1',
    musicFile,
  ]);
}, 60_000);

afterAll(() => fs.rm(dir, { recursive: true, force: true }));

describe('Ffmpeg.compose', () => {
  it('finishes a clip into all four formats that every platform accepts', async () => {
    const outDir = path.join(dir, 'all');
    const result = await ffmpeg.compose(input(), outDir);

    expect(result.renders.map((render) => render.format)).toEqual(FORMAT_IDS);
    for (const render of result.renders) {
      const probe = await ffmpeg.probe(render.video);
      const video = videoStream(probe);
      expect([
        render.format,
        video?.codecName,
        video?.profile,
        video?.pixFmt,
        video?.width,
        video?.height,
      ]).toEqual([
        render.format,
        'h264',
        'High',
        'yuv420p',
        FORMATS[render.format].width,
        FORMATS[render.format].height,
      ]);
      expect(Math.abs((probe.format.durationSec ?? 0) - 3)).toBeLessThanOrEqual(0.1);
      expect(video?.avgFrameRate).toBe(30);
      expect(audioStream(probe)).toMatchObject({ codecName: 'aac', sampleRate: 48_000, channels: 2 });
      expect(await ffmpeg.isFaststart(render.video)).toBe(true);
      expect(probe.format.tags.comment).toBe('adloom:manifest:test-0001');
      expect(checkRender(probe, render.format, 3000)).toEqual([]);
      expect(render.violations).toEqual([]);

      const poster = await ffmpeg.probe(render.poster);
      expect([
        videoStream(poster)?.codecName,
        videoStream(poster)?.width,
        videoStream(poster)?.height,
      ]).toEqual(['mjpeg', FORMATS[render.format].width, FORMATS[render.format].height]);
    }
    expect(await fs.readFile(path.join(outDir, 'captions.vtt'), 'utf8')).toBe(toWebVtt(input().captions));
    // The looped music bed, normalised to -16 LUFS (the fade-out pulls the short render a little lower).
    const loudness = await integratedLoudness(result.renders[0].video);
    expect(loudness).toBeGreaterThan(-19);
    expect(loudness).toBeLessThan(-14);
    expect(result.captions?.srt).toBe(path.join(outDir, 'captions.srt'));
  }, 180_000);

  it('turns the last part into a brand-coloured end card', async () => {
    const outDir = path.join(dir, 'end-card');
    const result = await ffmpeg.compose(input({ formats: ['16x9'], endCardMs: 1000 }), outDir);
    const video = result.renders[0].video;
    const distance = (colour: { red: number; green: number; blue: number }) =>
      Math.hypot(colour.red - PRIMARY.red, colour.green - PRIMARY.green, colour.blue - PRIMARY.blue);
    const during = await averageColour(video, 1.0);
    const endCard = await averageColour(video, 2.6);
    // The end card is mostly the primary colour; the CTA box and logo pull the average a little.
    expect(distance(endCard)).toBeLessThan(45);
    expect(distance(during)).toBeGreaterThan(distance(endCard) + 30);
  }, 120_000);

  it('reports rising progress that ends at 1', async () => {
    const fractions: number[] = [];
    await ffmpeg.compose(
      input({ formats: ['1x1'], brand: { ...input().brand, musicFile: null } }),
      path.join(dir, 'progress'),
      (fraction) => fractions.push(fraction),
    );
    expect(fractions.length).toBeGreaterThan(2);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThan(fractions[i - 1]);
    expect(fractions[0]).toBeGreaterThanOrEqual(0);
    expect(fractions[fractions.length - 1]).toBe(1);
  }, 120_000);

  it('keeps the clip’s own sound when there is no music, and is silent when there is neither', async () => {
    const noisy = path.join(dir, 'with-sound.mp4');
    await ffmpeg.run([
      ...['-f', 'lavfi', '-i', 'testsrc2=s=640x360:r=30:d=2', '-f', 'lavfi', '-i', 'sine=f=330:d=2'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', noisy],
    ]);
    const noMusic = { ...input().brand, musicFile: null };
    const withSound = await ffmpeg.compose(
      input({ clipPath: noisy, durationMs: 2000, formats: ['1x1'], brand: noMusic }),
      path.join(dir, 'clip-sound'),
    );
    expect(withSound.renders[0].violations).toEqual([]);
    expect(await integratedLoudness(withSound.renders[0].video)).toBeGreaterThan(-19);
    const silent = await ffmpeg.compose(
      input({ formats: ['1x1'], brand: noMusic }),
      path.join(dir, 'silent'),
    );
    expect(audioStream(silent.renders[0].probe)).toMatchObject({ codecName: 'aac', channels: 2 });
    expect(await integratedLoudness(silent.renders[0].video)).toBeLessThan(-60);
  }, 120_000);

  it('refuses a zero-length clip with a reason a person can read', async () => {
    const empty = path.join(dir, 'empty.mp4');
    await fs.writeFile(empty, '');
    const error = await ffmpeg
      .compose(input({ clipPath: empty }), path.join(dir, 'x'))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({
      code: 'invalid_input',
      status: 422,
      message: 'base clip empty.mp4 is empty (0 bytes)',
    });
  });

  it('refuses a corrupt clip with ffprobe’s reason', async () => {
    const corrupt = path.join(dir, 'corrupt.mp4');
    await fs.writeFile(corrupt, Buffer.from('this is not an mp4 file at all, just some words'.repeat(100)));
    const error = await ffmpeg
      .compose(input({ clipPath: corrupt }), path.join(dir, 'x'))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).code).toBe('invalid_input');
    expect((error as MediaError).message).toMatch(
      /^corrupt\.mp4 is not readable media: .*Invalid data found when processing input/,
    );
  });

  it('refuses a missing clip, logo or font before starting ffmpeg', async () => {
    await expect(ffmpeg.compose(input({ clipPath: path.join(dir, 'nope.mp4') }), dir)).rejects.toMatchObject({
      code: 'invalid_input',
      message: `base clip not found: ${path.join(dir, 'nope.mp4')}`,
    });
    await expect(
      ffmpeg.compose(input({ brand: { ...input().brand, logoFile: '/no/logo.png' } }), dir),
    ).rejects.toMatchObject({
      message: 'brand logo not found: /no/logo.png',
    });
    await expect(
      ffmpeg.compose(input({ brand: { ...input().brand, fontFile: clipPath } }), dir),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^brand font clip\.mp4 is not usable/),
    });
  });
});

describe('Ffmpeg.compose in scripts the brand font lacks', () => {
  /** The frame at 0.3 s of a 1 s square render with this headline, as 8-bit grey. */
  async function headlineFrame(
    headline: string,
    media = ffmpeg,
  ): Promise<{ pixels: Buffer; warnings: string[] }> {
    const outDir = path.join(dir, `script-${Math.random().toString(36).slice(2)}`);
    const result = await media.compose(
      input({
        copy: { headline, cta: '' },
        captions: [],
        formats: ['1x1'],
        durationMs: 1000,
        aiLabel: false,
        brand: { ...input().brand, logoFile: null, musicFile: null },
        encoder: { preset: 'ultrafast' },
      }),
      outDir,
    );
    const frame = path.join(outDir, 'frame.gray');
    const grey = ['-f', 'rawvideo', '-pix_fmt', 'gray'];
    await media.run(['-ss', '0.3', '-i', result.renders[0].video, '-frames:v', '1', ...grey, frame]);
    return { pixels: await fs.readFile(frame), warnings: result.warnings };
  }
  const difference = (a: Buffer, b: Buffer) => {
    let total = 0;
    for (let index = 0; index < a.length; index++) total += Math.abs(a[index] - b[index]);
    return total / a.length;
  };

  // Pairs of words with as many code points each: drawn as empty boxes, the two look the same.
  it.each([
    ['Thai', 'ลดราคา', 'วันนี้'],
    ['Hindi', 'खरीदें', 'हिन्दी'],
    ['emoji', 'Sale 🎉🌊', 'Sale 🏄👍'],
  ])(
    'draws %s from a font that has its glyphs, not boxes',
    async (_script, first, second) => {
      const [a, b] = [await headlineFrame(first), await headlineFrame(second)];
      expect([a.warnings, b.warnings]).toEqual([[], []]);
      expect(difference(a.pixels, b.pixels)).toBeGreaterThan(0.2);
    },
    60_000,
  );

  it('says what to install when it cannot look up a font for them, and still renders', async () => {
    const withoutFontconfig = new Ffmpeg({
      systemFonts: new SystemFonts({ fcMatchPath: path.join(dir, 'no-fc-match') }),
    });
    const { pixels, warnings } = await headlineFrame('ลดราคา', withoutFontconfig);
    expect(pixels.length).toBe(1080 * 1080);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"ล" (U+0E25)');
    expect(warnings[0]).toContain('install fontconfig and fonts-noto-core');
  }, 60_000);
});

describe('Ffmpeg.run', () => {
  const endless = (marker: string) => [
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=640x360',
    '-metadata',
    `comment=${marker}`,
    '-f',
    'null',
    '-',
  ];

  it('stops a run that passes its deadline and leaves no process behind', async () => {
    const marker = `adloom-timeout-${process.pid}-${Date.now()}`;
    const started = Date.now();
    const error = await ffmpeg.run(endless(marker), { timeoutMs: 500 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MediaError);
    expect(error).toMatchObject({
      code: 'timeout',
      status: 504,
      message: 'ffmpeg took longer than 500 ms and was stopped',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(processesWith(marker)).toEqual([]);
  });

  it('kills with SIGKILL a process that ignores SIGTERM', async () => {
    const stubborn = path.join(dir, 'stubborn-ffmpeg');
    await fs.writeFile(stubborn, "#!/bin/sh\ntrap '' TERM\nexec sleep 30\n", { mode: 0o755 });
    const impatient = new Ffmpeg({ ffmpegPath: stubborn, killGraceMs: 200 });
    const started = Date.now();
    await expect(impatient.run(['x'], { timeoutMs: 200 })).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(processesWith(stubborn)).toEqual([]);
  });

  it('stops when the caller aborts', async () => {
    const marker = `adloom-abort-${process.pid}-${Date.now()}`;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await expect(ffmpeg.run(endless(marker), { signal: controller.signal })).rejects.toMatchObject({
      code: 'cancelled',
    });
    expect(processesWith(marker)).toEqual([]);
    await expect(ffmpeg.run(endless(marker), { signal: controller.signal })).rejects.toMatchObject({
      code: 'cancelled',
      message: 'ffmpeg was cancelled before it started',
    });
  });

  it('says why ffmpeg failed, and when it is not installed', async () => {
    await expect(
      ffmpeg.run(['-i', path.join(dir, 'missing.mp4'), path.join(dir, 'out.mp4')]),
    ).rejects.toMatchObject({
      code: 'ffmpeg_failed',
      message: expect.stringContaining('missing.mp4: No such file or directory'),
    });
    await expect(new Ffmpeg({ ffmpegPath: '/nowhere/ffmpeg' }).run(['-version'])).rejects.toMatchObject({
      code: 'ffmpeg_missing',
      message: '/nowhere/ffmpeg not found; install ffmpeg or configure its path',
    });
  });
});

describe('Ffmpeg.isFaststart', () => {
  it('tells a file with moov after mdat from one with moov first', async () => {
    const late = path.join(dir, 'late-moov.mp4');
    await ffmpeg.run(['-f', 'lavfi', '-i', 'testsrc2=s=160x90:d=0.5', '-c:v', 'libx264', late]);
    expect((await ffmpeg.mp4Atoms(late)).map((atom) => atom.type)).toEqual(['ftyp', 'free', 'mdat', 'moov']);
    expect(await ffmpeg.isFaststart(late)).toBe(false);
    expect(await ffmpeg.isFaststart(clipPath)).toBe(true);
    // The atom sizes add up to the file.
    const atoms = await ffmpeg.mp4Atoms(clipPath);
    const last = atoms[atoms.length - 1];
    expect(last.offset + last.size).toBe((await fs.stat(clipPath)).size);
    expect(
      execFileSync(
        'ffprobe',
        ['-v', 'error', '-show_entries', 'format=format_name', '-of', 'csv=p=0', clipPath],
        { encoding: 'utf8' },
      ).trim(),
    ).toContain('mp4');
  });
});
