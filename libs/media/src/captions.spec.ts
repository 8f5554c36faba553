import {
  assColor,
  escapeAssText,
  formatAssTime,
  formatSrtTime,
  formatVttTime,
  normaliseCaptions,
  toAss,
  toSrt,
  toWebVtt,
} from './captions';

const lines = [
  { startMs: 2500, endMs: 4000, text: 'Second <b>line</b> & more' },
  { startMs: 0, endMs: 1250, text: 'First line' },
  { startMs: 61_001, endMs: 3_725_999, text: '  Two\n\n  rows  ' },
];

describe('caption timestamps', () => {
  it('writes WebVTT, SRT and ASS times in their own formats', () => {
    expect(formatVttTime(3_725_999)).toBe('01:02:05.999');
    expect(formatSrtTime(3_725_999)).toBe('01:02:05,999');
    expect(formatAssTime(3_725_999)).toBe('1:02:06.00');
    expect(formatAssTime(1_234)).toBe('0:00:01.23');
    expect(formatVttTime(0)).toBe('00:00:00.000');
  });
});

describe('toWebVtt', () => {
  it('writes sorted, numbered cues with escaped text', () => {
    expect(toWebVtt(lines)).toBe(
      'WEBVTT\n' +
        '\n' +
        '1\n00:00:00.000 --> 00:00:01.250\nFirst line\n' +
        '\n' +
        '2\n00:00:02.500 --> 00:00:04.000\nSecond &lt;b&gt;line&lt;/b&gt; &amp; more\n' +
        '\n' +
        '3\n00:01:01.001 --> 01:02:05.999\nTwo\nrows\n',
    );
  });

  it('writes just the header when there is nothing to show', () => {
    expect(toWebVtt([{ startMs: 100, endMs: 100, text: 'no time on screen' }])).toBe('WEBVTT\n');
  });
});

describe('toSrt', () => {
  it('writes numbered blocks with comma milliseconds and no blank lines inside a cue', () => {
    expect(toSrt(lines)).toBe(
      '1\n00:00:00,000 --> 00:00:01,250\nFirst line\n' +
        '\n' +
        '2\n00:00:02,500 --> 00:00:04,000\nSecond <b>line</b> & more\n' +
        '\n' +
        '3\n00:01:01,001 --> 01:02:05,999\nTwo\nrows\n',
    );
  });
});

describe('normaliseCaptions', () => {
  it('clamps to the render, drops empty and timeless lines', () => {
    expect(
      normaliseCaptions(
        [
          { startMs: -50, endMs: 500, text: 'a' },
          { startMs: 900, endMs: 5000, text: 'b' },
          { startMs: 3500, endMs: 4000, text: 'after the end' },
          { startMs: 0, endMs: 100, text: '   ' },
        ],
        3000,
      ),
    ).toEqual([
      { startMs: 0, endMs: 500, text: 'a' },
      { startMs: 900, endMs: 3000, text: 'b' },
    ]);
  });
});

describe('ASS', () => {
  it('converts #RRGGBB with opacity to &HAABBGGRR', () => {
    expect(assColor('#FF8000')).toBe('&H000080FF');
    expect(assColor('#102030', 0.8)).toBe('&H33302010');
    expect(() => assColor('red')).toThrow(RangeError);
  });

  it('keeps braces and backslashes literal and turns newlines into \\N', () => {
    expect(escapeAssText('{\\b1}bold?\nC:\\new')).toBe('\\{\\\u2060b1\\}bold?\\NC:\\\u2060new');
  });

  it('writes a script sized to the format with the brand style and one event per caption', () => {
    const script = toAss(lines.slice(0, 2), {
      width: 1080,
      height: 1920,
      fontFamily: 'DejaVu Sans',
      bold: true,
      fontSize: 45,
      textColor: '#FFFFFF',
      boxColor: '#14213D',
      boxOpacity: 0.8,
      marginLeft: 92,
      marginRight: 177,
      marginBottom: 800,
    });
    expect(script).toContain('PlayResX: 1080\nPlayResY: 1920\n');
    expect(script).toContain(
      'Style: Caption,DejaVu Sans,45,&H00FFFFFF,&H00FFFFFF,&H333D2114,&H333D2114,-1,0,0,0,100,100,0,0,3,11,0,2,92,177,800,1\n',
    );
    const events = script.split('\n').filter((line) => line.startsWith('Dialogue:'));
    expect(events).toEqual([
      'Dialogue: 0,0:00:00.00,0:00:01.25,Caption,,0,0,0,,First line',
      'Dialogue: 0,0:00:02.50,0:00:04.00,Caption,,0,0,0,,Second <b>line</b> & more',
    ]);
  });
});
