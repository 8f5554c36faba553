import { readFileSync } from 'node:fs';
import { buildComposePlan, ComposeSpec, chooseFit, cropToAspect, tintLut } from './compose-graph';
import { parseFont } from './font-metrics';
import { FORMATS, FormatId, safeZoneFor } from './platforms';

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
const metrics = parseFont(readFileSync(FONT));
const ALL: FormatId[] = ['9x16', '1x1', '16x9', '4x5'];
const NASTY = `50% off: "today", it's C:\\deals\\new, [really]; {ok}`;

const spec = (overrides: Partial<ComposeSpec> = {}): ComposeSpec => ({
  clip: { path: '/clips/base.mp4', width: 1280, height: 720, durationMs: 6000, fps: 30, hasAudio: false },
  brand: {
    fontFile: FONT,
    primaryColor: '#14213D',
    textColor: '#FFFFFF',
    accentColor: '#FCA311',
    logoFile: '/brand/logo.png',
  },
  copy: { headline: NASTY, cta: 'Shop now' },
  captions: [
    { startMs: 0, endMs: 2000, text: 'First caption' },
    { startMs: 2000, endMs: 6000, text: 'Runs into the end card' },
  ],
  formats: ALL,
  durationMs: 6000,
  metadata: { comment: 'adloom:manifest:sha256:abc' },
  fontMetrics: metrics,
  ...overrides,
});
const paths = { workDir: '/tmp/work', outDir: '/out' };

/** The values that follow each occurrence of a flag. */
const valuesOf = (args: string[], flag: string) =>
  args.flatMap((arg, index) => (arg === flag ? [args[index + 1]] : []));
const videoGraph = (args: string[]) => valuesOf(args, '-filter_complex')[0];
/** Each output's options: what follows the graphs, cut after every .mp4 file name. */
const outputOptions = (args: string[]) => {
  const rest = args.slice(args.lastIndexOf('-filter_complex') + 2);
  const outputs: string[][] = [];
  let current: string[] = [];
  for (const arg of rest) {
    if (arg.endsWith('.mp4')) {
      outputs.push(current);
      current = [];
    } else current.push(arg);
  }
  return outputs;
};
const pairs = (options: string[]) =>
  options.flatMap((arg, index) => (arg.startsWith('-') ? [[arg, options[index + 1]]] : []));

describe('buildComposePlan', () => {
  const plan = buildComposePlan(spec(), paths);
  const graph = videoGraph(plan.args);

  it('decodes the clip once and feeds every format from one split', () => {
    expect(valuesOf(plan.args, '-i')).toEqual([
      '/clips/base.mp4',
      '/brand/logo.png',
      'anullsrc=r=48000:cl=stereo',
    ]);
    expect(graph.match(/\[0:v\]/g)).toHaveLength(1);
    expect(graph.startsWith('[0:v]format=yuv420p,split=3[src0][src1][src2];')).toBe(true);
    // The three formats that show the whole landscape clip share one scaled foreground.
    expect(graph).toContain('[src0]scale=w=1080:h=608,split=3[fg_9x16][fg_1x1][fg_4x5]');
    expect(graph).toContain('[src1]scale=w=1920:h=1080,null[fg_16x9]');
    // One small blur feeds every blurred background.
    expect(graph.match(/boxblur=/g)).toHaveLength(1);
    expect(graph).toContain('split=3[bgs_9x16][bgs_1x1][bgs_4x5]');
  });

  it('writes one H.264 High yuv420p 30 fps MP4 per format, each with audio, exact duration and faststart', () => {
    expect(plan.outputs.map((output) => [output.format, output.width, output.height, output.video])).toEqual([
      ['9x16', 1080, 1920, '/out/9x16.mp4'],
      ['1x1', 1080, 1080, '/out/1x1.mp4'],
      ['16x9', 1920, 1080, '/out/16x9.mp4'],
      ['4x5', 1080, 1350, '/out/4x5.mp4'],
    ]);
    expect(valuesOf(plan.args, '-map')).toEqual([
      '[v_9x16]',
      '2:a:0',
      '[v_1x1]',
      '2:a:0',
      '[v_16x9]',
      '2:a:0',
      '[v_4x5]',
      '2:a:0',
    ]);
    expect(outputOptions(plan.args)).toHaveLength(4);
    for (const options of outputOptions(plan.args)) {
      expect(pairs(options)).toEqual(
        expect.arrayContaining([
          ['-c:v', 'libx264'],
          ['-profile:v', 'high'],
          ['-pix_fmt', 'yuv420p'],
          ['-r', '30'],
          ['-fps_mode', 'cfr'],
          ['-preset', 'veryfast'],
          ['-crf', '23'],
          ['-c:a', 'aac'],
          ['-b:a', '128k'],
          ['-ar', '48000'],
          ['-ac', '2'],
          ['-t', '6'],
          ['-movflags', '+faststart'],
          ['-map_metadata', '-1'],
          ['-metadata', 'comment=adloom:manifest:sha256:abc'],
        ]),
      );
    }
    // Output files come last in each output's options.
    const outputs = plan.args.filter((arg) => arg.startsWith('/out/'));
    expect(outputs).toEqual(['/out/9x16.mp4', '/out/1x1.mp4', '/out/16x9.mp4', '/out/4x5.mp4']);
  });

  it('makes each frame exactly its format size', () => {
    expect(graph).toContain(
      '[bgs_9x16]crop=w=102:h=180:x=109:y=0,scale=w=1080:h=1920:flags=bilinear[bg_9x16]',
    );
    expect(graph).toContain('[bgs_1x1]crop=w=180:h=180:x=70:y=0,scale=w=1080:h=1080:flags=bilinear[bg_1x1]');
    expect(graph).toContain('[bgs_4x5]crop=w=144:h=180:x=88:y=0,scale=w=1080:h=1350:flags=bilinear[bg_4x5]');
    expect(graph).toContain('[bg_9x16][fg_9x16]overlay=x=(W-w)/2:y=(H-h)/2[base_9x16]');
    expect(Object.values(plan.layouts).map((layout) => [layout.format, layout.fit])).toEqual([
      ['9x16', 'blurred-fill'],
      ['1x1', 'blurred-fill'],
      ['16x9', 'crop'],
      ['4x5', 'blurred-fill'],
    ]);
  });

  it('draws brand copy through libass, laid out beforehand, so no copy needs filtergraph escaping', () => {
    const script = plan.files.find((file) => file.path === '/tmp/work/text-9x16.ass')?.contents ?? '';
    const layout = plan.layouts['9x16'];
    expect(layout.headline.lines.join(' ')).toBe(NASTY);
    const events = script.split('\n').filter((line) => line.startsWith('Dialogue: 1,'));
    expect(events).toHaveLength(4);
    const [headline, cta, endCta, label] = events;
    expect(headline).toContain(
      `Dialogue: 1,0:00:00.00,0:00:04.50,Caption,,0,0,0,,{\\an8\\pos(540,${layout.headline.y})\\q2\\bord${layout.headline.border}\\shad0` +
        '\\1c&HFFFFFF&\\1a&H00&\\3c&H3D2114&\\3a&H26&}',
    );
    // One run per line in the brand font, lines joined by \N, libass's braces escaped.
    const drawn = headline.slice(headline.indexOf('}') + 1).split('\\N');
    expect(drawn).toHaveLength(layout.headline.lines.length);
    expect(drawn[0]).toMatch(/^\{\\fnDejaVu Sans\\fs[\d.]+\\b1\\i0\}/);
    expect(script).toContain('\\{ok\\}');
    expect(cta).toContain('0:00:00.00,0:00:04.50');
    expect(cta).toContain('\\an2');
    expect(cta).toContain('\\3c&H11A3FC&\\3a&H00&');
    expect(endCta).toContain('Dialogue: 1,0:00:04.50,0:00:06.00,');
    expect(label).toContain('Dialogue: 1,0:00:00.00,0:00:06.00,');
    expect(label).toContain('}AI-generated');
    expect(graph).not.toContain('deals');
    expect(graph).not.toContain('drawtext');
  });

  it('escapes paths with filtergraph metacharacters', () => {
    const odd = buildComposePlan(spec(), { workDir: "/tmp/it's:a,b[1];c", outDir: '/out' });
    expect(videoGraph(odd.args)).toContain("filename=/tmp/it\\\\\\'s\\\\:a\\,b\\[1\\]\\;c/text-9x16.ass:");
  });

  it('burns captions from one ASS script per format, cut where the end card starts', () => {
    const scripts = plan.files.filter((file) => file.path.endsWith('.ass'));
    expect(scripts.map((file) => file.path)).toEqual(ALL.map((format) => `/tmp/work/text-${format}.ass`));
    expect(scripts[0].contents).toContain('PlayResX: 1080\nPlayResY: 1920\n');
    expect(scripts[2].contents).toContain('PlayResX: 1920\nPlayResY: 1080\n');
    expect(scripts[0].contents).toContain(
      'Dialogue: 0,0:00:02.00,0:00:04.50,Caption,,0,0,0,,Runs into the end card',
    );
    expect(graph).toContain('ass=filename=/tmp/work/text-9x16.ass:fontsdir=/usr/share/fonts/truetype/dejavu');
  });

  it('shows the end card for the last 1.5 s and moves the logo into it', () => {
    expect(
      graph.match(
        /lutyuv=y=val\*0\.15\+[\d.]+:u=val\*0\.15\+[\d.]+:v=val\*0\.15\+[\d.]+:enable=gte\(t\\,4\.5\)/g,
      ),
    ).toHaveLength(4);
    // Text before it ends where it starts (ASS events), so the tint comes before libass draws.
    expect(graph).toMatch(/setsar=1,lutyuv=[^,]*enable=gte\(t\\,4\.5\),ass=filename=/);
    expect(graph).toContain(
      '[text_9x16][logo_9x16]overlay=x=if(gte(t\\,4.5)\\,(W-w)/2\\,65):y=if(gte(t\\,4.5)\\,',
    );
  });

  it('keeps text and logo inside each format’s safe zone', () => {
    for (const format of ALL) {
      const layout = plan.layouts[format];
      const safe = safeZoneFor(format);
      const { width, height } = FORMATS[format];
      expect(layout.headline.y - layout.headline.border).toBeGreaterThanOrEqual(safe.top);
      expect(layout.headline.width + 2 * layout.headline.border).toBeLessThanOrEqual(
        width - safe.left - safe.right,
      );
      expect(layout.cta.y + layout.cta.border).toBeLessThanOrEqual(height - safe.bottom);
      expect(layout.captions.marginBottom).toBeGreaterThan(safe.bottom);
      expect(layout.logo?.x).toBeGreaterThanOrEqual(safe.left);
      expect(layout.logo?.y).toBeGreaterThanOrEqual(safe.top);
      expect((layout.aiLabel?.x ?? Infinity) + (layout.aiLabel?.border ?? 0)).toBeLessThanOrEqual(
        width - safe.right,
      );
    }
  });

  it('takes posters from the finished files at 1 s', () => {
    expect(plan.posterArgs.slice(0, 4)).toEqual(['-ss', '1', '-i', '/out/9x16.mp4']);
    expect(valuesOf(plan.posterArgs, '-frames:v')).toEqual(['1', '1', '1', '1']);
    expect(plan.posterArgs.filter((arg) => arg.endsWith('.jpg'))).toEqual(
      ALL.map((format) => `/out/${format}.jpg`),
    );
  });

  it('loops, normalises and splits a music bed in a graph of its own', () => {
    const withMusic = buildComposePlan(
      spec({ brand: { ...spec().brand, musicFile: '/brand/bed.m4a' } }),
      paths,
    );
    expect(withMusic.args.join(' ')).toContain('-stream_loop -1 -t 6 -i /brand/bed.m4a');
    const audioGraph = valuesOf(withMusic.args, '-filter_complex')[1];
    expect(audioGraph).toBe(
      '[2:a:0]aformat=sample_rates=48000:channel_layouts=stereo,loudnorm=I=-16:TP=-1.5:LRA=11,aresample=osr=48000,' +
        'apad=whole_dur=6,afade=t=out:st=5.5:d=0.5,asplit=4[a_9x16][a_1x1][a_16x9][a_4x5]',
    );
    expect(valuesOf(withMusic.args, '-map').filter((label) => label.startsWith('[a_'))).toHaveLength(4);
  });

  it('uses the clip’s own sound when there is no music', () => {
    const withSound = buildComposePlan(spec({ clip: { ...spec().clip, hasAudio: true } }), paths);
    expect(valuesOf(withSound.args, '-filter_complex')[1]).toMatch(/^\[0:a:0\]aformat=/);
  });

  it('leaves out the AI label, the logo and empty copy when asked', () => {
    const bare = buildComposePlan(
      spec({ aiLabel: false, brand: { ...spec().brand, logoFile: null } }),
      paths,
    );
    const bareGraph = videoGraph(bare.args);
    const script = (result: typeof plan) =>
      result.files.find((file) => file.path.endsWith('9x16.ass'))?.contents;
    expect(script(bare)).not.toContain('AI-generated');
    expect(bareGraph).not.toContain('overlay=x=if');
    expect(valuesOf(bare.args, '-i')).toEqual(['/clips/base.mp4', 'anullsrc=r=48000:cl=stereo']);
    expect(script(plan)).toContain('}AI-generated');
    const noHeadline = buildComposePlan(spec({ copy: { headline: '  ', cta: 'Go' } }), paths);
    expect(script(noHeadline)?.match(/^Dialogue: 1,0:00:00.00,0:00:04.50,/gm)).toHaveLength(1);
    expect(script(noHeadline)).toContain('}Go');
    const german = buildComposePlan(spec({ aiLabel: 'KI-generiert' }), paths);
    expect(script(german)).toContain('}KI-generiert');
  });

  it('resamples a clip at another rate and pads a short one', () => {
    const short = buildComposePlan(spec({ clip: { ...spec().clip, fps: 24, durationMs: 5000 } }), paths);
    expect(videoGraph(short.args)).toMatch(
      /^\[0:v\]format=yuv420p,fps=fps=30,tpad=stop_mode=clone:stop_duration=1\.1,split=3/,
    );
  });

  it('encodes a single format without a split', () => {
    const single = buildComposePlan(spec({ formats: ['16x9'] }), paths);
    expect(
      videoGraph(single.args).startsWith(
        '[0:v]format=yuv420p,null[src0];[src0]scale=w=1920:h=1080,null[fg_16x9]',
      ),
    ).toBe(true);
    expect(single.outputs).toHaveLength(1);
  });

  it('refuses an empty or repeated format list and a zero duration', () => {
    expect(() => buildComposePlan(spec({ formats: [] }), paths)).toThrow('no formats');
    expect(() => buildComposePlan(spec({ formats: ['1x1', '1x1'] }), paths)).toThrow('twice');
    expect(() => buildComposePlan(spec({ durationMs: 0 }), paths)).toThrow('durationMs');
  });
});

describe('fit and crop', () => {
  it('crops when little of the clip is lost and fills with blur otherwise', () => {
    expect(chooseFit({ width: 1280, height: 720 }, '16x9')).toBe('crop');
    expect(chooseFit({ width: 1280, height: 720 }, '9x16')).toBe('blurred-fill');
    expect(chooseFit({ width: 1080, height: 1920 }, '9x16')).toBe('crop');
    expect(chooseFit({ width: 1080, height: 1350 }, '1x1')).toBe('crop');
    expect(cropToAspect(1280, 720, 1)).toEqual({ width: 720, height: 720, x: 280, y: 0 });
    expect(cropToAspect(1080, 1920, 1080 / 1350)).toEqual({ width: 1080, height: 1350, x: 0, y: 285 });
  });

  it('tints towards the brand colour like a filled box', () => {
    expect(tintLut('#FFFFFF', 0.5)).toEqual({ y: 'val*0.5+117.5', u: 'val*0.5+64', v: 'val*0.5+64' });
  });
});
