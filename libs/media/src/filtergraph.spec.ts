import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Ffmpeg } from './ffmpeg';
import {
  chain,
  escapeGraphText,
  escapeOptionValue,
  ffmpegColor,
  filter,
  filterValue,
  seconds,
} from './filtergraph';

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
const NASTY = `It's 100% "real": C:\\new\\tab, [x]; y=z {w} %{pts} \\' é`;

describe('filtergraph escaping', () => {
  it('escapes option separators first, then graph separators', () => {
    expect(escapeOptionValue(`a:b'c\\d`)).toBe(`a\\:b\\'c\\\\d`);
    expect(escapeGraphText(`a,b;c[d]e'f\\g`)).toBe(`a\\,b\\;c\\[d\\]e\\'f\\\\g`);
    expect(filterValue(`it's 1:2, ok`)).toBe(`it\\\\\\'s 1\\\\:2\\, ok`);
    expect(filterValue('50%')).toBe('50%');
  });

  it('builds filters and chains', () => {
    expect(filter('scale', { w: 1080, h: undefined, flags: 'bilinear' })).toBe('scale=w=1080:flags=bilinear');
    expect(filter('null')).toBe('null');
    expect(chain(['a', 'b'], ['overlay', 'setsar=1'], ['out'])).toBe('[a][b]overlay,setsar=1[out]');
    expect(seconds(4500)).toBe('4.5');
    expect(seconds(6000)).toBe('6');
    expect(ffmpegColor('#fca311', 0.5)).toBe('0xFCA311@0.50');
  });
});

describe('filtergraph escaping, read back by ffmpeg', () => {
  const ffmpeg = new Ffmpeg();
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'adloom-escape-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  /** One grey frame with the text drawn, as raw bytes. */
  async function render(source: { text: string } | { textfile: string }): Promise<Buffer> {
    const output = path.join(dir, `frame-${Math.random().toString(36).slice(2)}.gray`);
    const drawtext = filter('drawtext', {
      fontfile: FONT,
      ...source,
      expansion: 'none',
      fontsize: 24,
      fontcolor: 'white',
      x: 8,
      y: 8,
    });
    await ffmpeg.run([
      '-f',
      'lavfi',
      '-i',
      'color=c=black:s=900x48',
      '-vf',
      drawtext,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      output,
    ]);
    return fs.readFile(output);
  }

  it('draws an inline nasty string exactly as the same string read from a file with a nasty name', async () => {
    const textfile = path.join(dir, `it's: a, [b]; c=d %e \\f.txt`);
    await fs.writeFile(textfile, NASTY);
    const fromFile = await render({ textfile });
    const inline = await render({ text: NASTY });
    expect(fromFile.some((byte) => byte > 128)).toBe(true);
    expect(inline.equals(fromFile)).toBe(true);
    // A different string draws different pixels, so the comparison can fail.
    const other = await render({ text: NASTY.replace('100%', '10%') });
    expect(other.equals(fromFile)).toBe(false);
  });
});
