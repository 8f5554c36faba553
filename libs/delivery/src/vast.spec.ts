import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatVastTime } from './duration';
import { buildEmptyVast, buildVast, cdata, toSchemaUri, VastInput, withMacrosEscaped } from './vast';

const SCHEMA = path.resolve(__dirname, '../vast/vast_4.2.xsd');

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'adloom-vast-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

let fileCount = 0;
function writeTemp(xml: string): string {
  const file = path.join(workDir, `ad-${++fileCount}.xml`);
  writeFileSync(file, xml);
  return file;
}

/** Validity against the IAB schema, macros escaped as XML Schema maps anyURI values (see `withMacrosEscaped`). */
function validate(xml: string): { valid: boolean; output: string } {
  const file = writeTemp(withMacrosEscaped(xml));
  const result = spawnSync('xmllint', ['--noout', '--schema', SCHEMA, file], { encoding: 'utf8' });
  return { valid: result.status === 0, output: result.stderr };
}

/** Evaluates an XPath string expression over the document with the real xmllint. */
function xpath(xml: string, expression: string): string {
  return execFileSync('xmllint', ['--xpath', `string(${expression})`, writeTemp(xml)], {
    encoding: 'utf8',
  }).replace(/\n$/, '');
}

const el = (name: string) => `*[local-name()='${name}']`;

function example(overrides: Partial<VastInput> = {}): VastInput {
  return {
    adId: '6f1c2a9e-5b7d-4c1e-9f3a-2d4b6c8e0a11',
    adServingId: 'a3f9e0c2-1b4d-4e6f-8a9b-0c1d2e3f4a5b',
    adSystem: { name: 'Adloom', version: '0.1.0' },
    adTitle: 'Summer running shoes — young urban',
    description: 'Generated variant for segment young-urban',
    advertiser: 'Stride Co',
    impressionUrls: ['https://t.adloom.example/t/imp-token'],
    errorUrl: 'https://t.adloom.example/e?code=[ERRORCODE]',
    creative: {
      id: '0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6b',
      universalAdId: { idRegistry: 'adloom.dev', value: '6f1c2a9e-5b7d-4c1e-9f3a-2d4b6c8e0a11' },
      durationMs: 15_040,
      mediaFiles: [
        {
          url: 'https://cdn.adloom.example/renders/r1/9x16.mp4?X-Amz-Signature=abc&X-Amz-Expires=900',
          width: 1080,
          height: 1920,
          bitrateKbps: 4200.4,
          codec: 'avc1.640028, mp4a.40.2',
          type: 'video/mp4',
          delivery: 'progressive',
        },
        {
          url: 'https://cdn.adloom.example/renders/r1/16x9.mp4',
          width: 1920,
          height: 1080,
          bitrateKbps: 5000,
          codec: 'avc1.640028, mp4a.40.2',
          type: 'video/mp4',
          delivery: 'progressive',
        },
      ],
      tracking: {
        start: ['https://t.adloom.example/t/start'],
        firstQuartile: ['https://t.adloom.example/t/q1'],
        midpoint: ['https://t.adloom.example/t/mid'],
        thirdQuartile: ['https://t.adloom.example/t/q3'],
        complete: ['https://t.adloom.example/t/done', 'https://partner.example/done'],
      },
      clickThrough: 'https://stride.example/shoes?utm_source=adloom&utm_medium=video',
      clickTracking: ['https://t.adloom.example/t/click'],
      closedCaptions: [
        { url: 'https://cdn.adloom.example/renders/r1/en.vtt', type: 'text/vtt', language: 'en' },
      ],
    },
    ...overrides,
  };
}

describe('buildVast', () => {
  it('writes an InLine ad that validates against the VAST 4.2 schema', () => {
    const xml = buildVast(example());
    expect(validate(xml)).toEqual({ valid: true, output: expect.stringContaining('validates') });
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<VAST version="4.2" xmlns="http://www.iab.com/VAST">',
      ),
    ).toBe(true);
  });

  it('carries the ids, duration, media and tracking a player reads', () => {
    const xml = buildVast(example());
    const inLine = `/${el('VAST')}/${el('Ad')}/${el('InLine')}`;
    const linear = `${inLine}/${el('Creatives')}/${el('Creative')}/${el('Linear')}`;
    expect(xpath(xml, `/${el('VAST')}/${el('Ad')}/@id`)).toBe('6f1c2a9e-5b7d-4c1e-9f3a-2d4b6c8e0a11');
    expect(xpath(xml, `${inLine}/${el('AdServingId')}`)).toBe('a3f9e0c2-1b4d-4e6f-8a9b-0c1d2e3f4a5b');
    expect(xpath(xml, `${linear}/${el('Duration')}`)).toBe('00:00:15.040');
    expect(xpath(xml, `${linear}/${el('MediaFiles')}/${el('MediaFile')}[1]`)).toBe(
      'https://cdn.adloom.example/renders/r1/9x16.mp4?X-Amz-Signature=abc&X-Amz-Expires=900',
    );
    expect(xpath(xml, `${linear}/${el('MediaFiles')}/${el('MediaFile')}[1]/@bitrate`)).toBe('4200');
    expect(xpath(xml, `${linear}/${el('MediaFiles')}/${el('MediaFile')}[1]/@codec`)).toBe(
      'avc1.640028, mp4a.40.2',
    );
    expect(xpath(xml, `count(${linear}/${el('TrackingEvents')}/${el('Tracking')}[@event='complete'])`)).toBe(
      '2',
    );
    expect(xpath(xml, `${linear}/${el('VideoClicks')}/${el('ClickThrough')}`)).toBe(
      'https://stride.example/shoes?utm_source=adloom&utm_medium=video',
    );
    expect(xpath(xml, `${inLine}/${el('Error')}`)).toBe('https://t.adloom.example/e?code=[ERRORCODE]');
  });

  it('keeps &, < and ]]> intact in titles and URLs (brackets percent-encoded), and stays valid', () => {
    const nastyUrl = 'https://cdn.example/a.mp4?x=]]>&y=<b>&z="q"';
    const xml = buildVast(
      example({
        adTitle: 'Tom & Jerry <3 ]]> "quoted" \'single\'',
        advertiser: 'A&B <Co>',
        impressionUrls: ['https://t.example/i?a=1&b=]]>]]>'],
        creative: {
          ...example().creative,
          mediaFiles: [{ ...example().creative.mediaFiles[0], url: nastyUrl }],
          clickThrough: 'https://x.example/?q=]]]>',
        },
      }),
    );
    expect(validate(xml).valid).toBe(true);
    const inLine = `/${el('VAST')}/${el('Ad')}/${el('InLine')}`;
    expect(xpath(xml, `${inLine}/${el('AdTitle')}`)).toBe('Tom & Jerry <3 ]]> "quoted" \'single\'');
    expect(xpath(xml, `${inLine}/${el('Advertiser')}`)).toBe('A&B <Co>');
    expect(xpath(xml, `${inLine}/${el('Impression')}`)).toBe('https://t.example/i?a=1&b=%5D%5D>%5D%5D>');
    expect(xpath(xml, `//${el('MediaFile')}`)).toBe('https://cdn.example/a.mp4?x=%5D%5D>&y=<b>&z="q"');
    expect(xpath(xml, `//${el('ClickThrough')}`)).toBe('https://x.example/?q=%5D%5D%5D>');
  });

  it('drops characters XML cannot carry instead of writing a broken document', () => {
    const xml = buildVast(example({ adTitle: 'bell\u0007 and null\u0000 here' }));
    expect(validate(xml).valid).toBe(true);
    expect(xpath(xml, `//${el('AdTitle')}`)).toBe('bell and null here');
  });

  it('writes the minimum the schema allows: about:blank impression, no optional blocks', () => {
    const base = example();
    const xml = buildVast({
      adId: 'v1',
      adServingId: 's1',
      adSystem: { name: 'Adloom' },
      adTitle: 'Minimal',
      impressionUrls: [],
      creative: {
        id: 'r1',
        universalAdId: { idRegistry: 'unknown', value: 'unknown' },
        durationMs: 6000,
        mediaFiles: [base.creative.mediaFiles[1]],
        tracking: {},
      },
    });
    expect(validate(xml).valid).toBe(true);
    expect(xpath(xml, `//${el('Impression')}`)).toBe('about:blank');
    expect(xml).not.toContain('VideoClicks');
    expect(xml).not.toContain('TrackingEvents');
    expect(xml).not.toContain('ClosedCaptionFiles');
  });

  it('refuses a creative without media files', () => {
    expect(() => buildVast(example({ creative: { ...example().creative, mediaFiles: [] } }))).toThrow(
      RangeError,
    );
  });

  it('fails schema validation when the element order is wrong', () => {
    const xml = buildVast(example());
    const universalAdId = xml.match(/ *<UniversalAdId[^\n]*\n/)![0];
    const reordered = xml.replace(universalAdId, '').replace(/( *)<Linear>/, (match, indent: string) => {
      return `${indent}${universalAdId.trim()}\n${match}`;
    });
    expect(reordered).not.toBe(xml);
    const result = validate(reordered);
    expect(result.valid).toBe(false);
    expect(result.output).toContain('Linear');
  });
});

describe('buildEmptyVast', () => {
  it('is a valid VAST with no Ad', () => {
    const xml = buildEmptyVast();
    expect(validate(xml).valid).toBe(true);
    expect(xml).not.toContain('<Ad');
    expect(xpath(xml, `/${el('VAST')}/@version`)).toBe('4.2');
  });

  it('carries the error URL with the error code filled in', () => {
    const xml = buildEmptyVast({ errorUrl: 'https://t.example/e?c=[ERRORCODE]&x=]]>' });
    expect(validate(xml).valid).toBe(true);
    expect(xpath(xml, `/${el('VAST')}/${el('Error')}`)).toBe('https://t.example/e?c=303&x=%5D%5D>');
  });
});

describe('AdVerifications', () => {
  it('passes each OMID vendor through with its script and parameters, and stays valid', () => {
    const xml = buildVast(
      example({
        verifications: [
          {
            vendor: 'iabtechlab.com-omid',
            scriptUrl: 'https://omid.example/v.js',
            parameters: '{"a":"<1>"}',
          },
          { vendor: 'other.example', scriptUrl: 'https://other.example/o.js' },
        ],
      }),
    );
    expect(validate(xml)).toEqual({ valid: true, output: expect.any(String) });
    const verification = `//${el('AdVerifications')}/${el('Verification')}`;
    expect(xpath(xml, `count(${verification})`)).toBe('2');
    expect(xpath(xml, `${verification}[1]/@vendor`)).toBe('iabtechlab.com-omid');
    expect(xpath(xml, `${verification}[1]/${el('JavaScriptResource')}/@apiFramework`)).toBe('omid');
    expect(xpath(xml, `${verification}[1]/${el('JavaScriptResource')}`)).toBe('https://omid.example/v.js');
    expect(xpath(xml, `${verification}[1]/${el('VerificationParameters')}`)).toBe('{"a":"<1>"}');
    expect(xpath(xml, `count(${verification}[2]/${el('VerificationParameters')})`)).toBe('0');
  });
});

describe('cdata', () => {
  it.each(['a]]>b', ']]>', ']]]]>>', 'x]]>]]>y', 'plain'])(
    'round-trips %p through a real XML parser',
    (text) => {
      expect(xpath(`<x>${cdata(text)}</x>`, '/x')).toBe(text);
    },
  );
});

describe('toSchemaUri', () => {
  it.each([
    ['https://a.example/e?c=[ERRORCODE]&t=[TIMESTAMP]', 'https://a.example/e?c=[ERRORCODE]&t=[TIMESTAMP]'],
    ['https://[::1]:8080/x?y=[z]&w=[A', 'https://[::1]:8080/x?y=%5Bz%5D&w=%5BA'],
    ['https://a.example/x?p=100%&q=%41', 'https://a.example/x?p=100%25&q=%41'],
    ['https://a.example/x#a#b', 'https://a.example/x#a%23b'],
    ['  https://a.example/x?q=a&b=c  ', 'https://a.example/x?q=a&b=c'],
    ['about:blank', 'about:blank'],
  ])('%s → %s', (url, expected) => {
    expect(toSchemaUri(url)).toBe(expected);
  });

  it('turns URLs the schema rejects into ones it accepts', () => {
    const raw = 'https://a.example/e?c=[x]&p=100%#x#y';
    const wrap = (url: string) =>
      `<VAST version="4.2" xmlns="http://www.iab.com/VAST"><Error>${cdata(url)}</Error></VAST>`;
    expect(validate(wrap(raw)).valid).toBe(false);
    expect(validate(wrap(toSchemaUri(raw))).valid).toBe(true);
  });
});

describe('formatVastTime', () => {
  it.each([
    [0, '00:00:00.000'],
    [15_040, '00:00:15.040'],
    [61_000.4, '00:01:01.000'],
    [999.6, '00:00:01.000'],
    [3_723_456, '01:02:03.456'],
    [86_399_999, '23:59:59.999'],
  ])('%p ms → %s', (ms, expected) => {
    expect(formatVastTime(ms)).toBe(expected);
  });

  it.each([-1, Number.NaN, Infinity, 86_400_000])('refuses %p', (ms) => {
    expect(() => formatVastTime(ms)).toThrow(RangeError);
  });
});
