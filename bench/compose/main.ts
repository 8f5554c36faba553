/**
 * Compose benchmark: a 6 s procedural 1280×720 clip finished into all four formats, timed three ways in
 * the same run: (a) our one-pass compose with every overlay, (b) a bare one-process encode of the same
 * outputs with plain scaling, (c) four separate compose runs, one per format. Each is repeated, interleaved,
 * and the medians are compared. CPU seconds (ffmpeg's user+system time) are shown beside wall time because
 * wall time on a shared two-core machine moves with whatever else runs.
 *
 * COMPOSE_BENCH_REPEATS (default 3) and COMPOSE_BENCH_ENCODER (JSON, a partial EncoderSettings) tune a run.
 */
import { readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ComposeInput, DEFAULT_ENCODER, EncoderSettings, Ffmpeg, FORMAT_IDS } from '@adloom/media';
import { bareEncodeArgs } from './bare';

const DURATION_MS = 6_000;
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

interface Sample {
  wall: number;
  cpu: number;
}

/** User + system seconds of every child process this one has waited for (Linux). */
function childCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of stat (cutime, cstime) are at 13 and 14 once pid and comm are cut off.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

async function measure(work: () => Promise<unknown>): Promise<Sample> {
  const cpuBefore = childCpuSeconds();
  const started = process.hrtime.bigint();
  await work();
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  return { wall, cpu: childCpuSeconds() - cpuBefore };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits));

async function main(): Promise<void> {
  const repeats = Number(process.env.COMPOSE_BENCH_REPEATS ?? 3);
  const encoder: EncoderSettings = {
    ...DEFAULT_ENCODER,
    ...(process.env.COMPOSE_BENCH_ENCODER ? (JSON.parse(process.env.COMPOSE_BENCH_ENCODER) as object) : {}),
  };
  const ffmpeg = new Ffmpeg();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'adloom-bench-compose-'));
  try {
    const clipPath = path.join(dir, 'clip.mp4');
    await ffmpeg.renderProceduralClip({
      promptHash: 'c0ffee00d15ea5e5ba5eba11deadbeefc0ffee00d15ea5e5ba5eba11deadbeef',
      prompt: 'Golden retrievers surfing at sunset on a turquoise beach',
      width: 1280,
      height: 720,
      durationMs: DURATION_MS,
      fps: 30,
      outputPath: clipPath,
    });
    const logoFile = path.join(dir, 'logo.png');
    await ffmpeg.run([
      '-f',
      'lavfi',
      '-i',
      'color=c=0xFF5A1F:s=320x120,drawbox=x=16:y=16:w=88:h=88:color=white:t=fill',
      '-frames:v',
      '1',
      logoFile,
    ]);

    const input: ComposeInput = {
      clipPath,
      brand: {
        fontFile: FONT,
        primaryColor: '#14213D',
        textColor: '#FFFFFF',
        accentColor: '#FCA311',
        logoFile,
      },
      copy: { headline: 'Summer sale: 40% off every board, this week only', cta: 'Shop the sale' },
      captions: [
        { startMs: 0, endMs: 1800, text: 'Catch the last waves of summer' },
        { startMs: 1800, endMs: 3600, text: 'Boards for every level, from first paddle to pro' },
        { startMs: 3600, endMs: 4500, text: 'Free delivery' },
      ],
      formats: FORMAT_IDS,
      durationMs: DURATION_MS,
      metadata: { comment: 'adloom:bench' },
      encoder,
    };

    const onePass = () => ffmpeg.compose(input, path.join(dir, 'one-pass'));
    const bare = () => ffmpeg.run(bareEncodeArgs(clipPath, FORMAT_IDS, DURATION_MS, encoder, dir));
    const fourPasses = async () => {
      for (const format of FORMAT_IDS) {
        await ffmpeg.compose({ ...input, formats: [format] }, path.join(dir, `pass-${format}`));
      }
    };

    const warmUp = await onePass();
    const errors = warmUp.renders.flatMap((render) =>
      render.violations
        .filter((violation) => violation.severity === 'error')
        .map((v) => `${render.format}: ${v.detail}`),
    );
    if (errors.length) throw new Error(`compose output fails its checks: ${errors.join('; ')}`);

    const samples: Record<'ours' | 'bare' | 'four', Sample[]> = { ours: [], bare: [], four: [] };
    for (let repetition = 0; repetition < repeats; repetition++) {
      samples.ours.push(await measure(onePass));
      samples.bare.push(await measure(bare));
      samples.four.push(await measure(fourPasses));
    }

    const summary = (name: keyof typeof samples) => ({
      wall: median(samples[name].map((sample) => sample.wall)),
      cpu: median(samples[name].map((sample) => sample.cpu)),
      runs: samples[name].map((sample) => sample.wall.toFixed(2)).join(' '),
    });
    const ours = summary('ours');
    const bareResult = summary('bare');
    const four = summary('four');

    console.log(
      `compose bench: ${DURATION_MS / 1000} s clip 1280×720 → ${FORMAT_IDS.join(', ')}; ${os.cpus().length} cores`,
    );
    console.log(`encoder: ${JSON.stringify(encoder)}`);
    console.log('');
    console.log('variant                         median s   CPU s   runs (s)');
    const row = (name: string, result: ReturnType<typeof summary>) =>
      console.log(
        `${name.padEnd(32)}${result.wall.toFixed(2).padStart(8)}${result.cpu.toFixed(2).padStart(8)}   ${result.runs}`,
      );
    row('(a) one-pass compose, overlays', ours);
    row('(b) bare one-pass, scaling only', bareResult);
    row('(c) four compose passes', four);
    console.log('');
    console.log(
      `ratio a/b ${(ours.wall / bareResult.wall).toFixed(3)} (CPU ${(ours.cpu / bareResult.cpu).toFixed(3)}), ` +
        `a/c ${(ours.wall / four.wall).toFixed(3)} (CPU ${(ours.cpu / four.cpu).toFixed(3)})`,
    );
    console.log(
      JSON.stringify({
        bench: 'compose',
        seconds: round(ours.wall),
        bare_seconds: round(bareResult.wall),
        four_pass_seconds: round(four.wall),
        ratio: round(ours.wall / bareResult.wall),
        ratio_four_passes: round(ours.wall / four.wall),
        cpu_seconds: round(ours.cpu),
        cpu_ratio: round(ours.cpu / bareResult.cpu),
        cpu_ratio_four_passes: round(ours.cpu / four.cpu),
      }),
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
