import { formatVastTime } from './duration';

/**
 * VAST 4.2 InLine documents, written as text. Element order follows the IAB schema
 * (`vast_4.2.xsd`), which differs from many published samples: in `InLine` the base elements
 * (`AdSystem`, `Error`, `Impression`) come before `AdServingId` and `AdTitle`; in `MediaFiles`
 * `ClosedCaptionFiles` precedes `MediaFile`; in `Creative` `UniversalAdId` follows `Linear`;
 * in `VideoClicks` `ClickTracking` precedes `ClickThrough`.
 *
 * Every URL is made an `xs:anyURI` (see `toSchemaUri`) except for player macros such as
 * `[ERRORCODE]` and `[TIMESTAMP]`, which stay literal so players expand them. XML Schema 1.0 defines
 * anyURI's lexical space after XLink escaping, which turns `[`/`]` into `%5B`/`%5D`; libxml2 does not
 * escape first and so refuses the brackets, which is why its tests escape macros before validating.
 */

export const VAST_VERSION = '4.2';
export const VAST_NAMESPACE = 'http://www.iab.com/VAST';
/** VAST error code for "no ad": the response is empty because nothing is eligible to serve. */
export const VAST_NO_AD_ERROR = 303;

export const VAST_QUARTILE_EVENTS = [
  'start',
  'firstQuartile',
  'midpoint',
  'thirdQuartile',
  'complete',
] as const;
export type VastQuartileEvent = (typeof VAST_QUARTILE_EVENTS)[number];

export interface VastMediaFile {
  url: string;
  width: number;
  height: number;
  bitrateKbps: number;
  /** RFC 6381 codecs string, e.g. `avc1.640028, mp4a.40.2`. */
  codec?: string;
  type: string;
  delivery: 'progressive' | 'streaming';
  id?: string;
}

export interface VastClosedCaption {
  url: string;
  type: string;
  /** ISO 639-1 code with an optional region, e.g. `en` or `pt-BR`. */
  language: string;
}

export interface VastCreative {
  /** The render id: one creative per render. */
  id: string;
  universalAdId: { idRegistry: string; value: string };
  durationMs: number;
  mediaFiles: VastMediaFile[];
  tracking: Partial<Record<VastQuartileEvent, string[]>>;
  clickThrough?: string;
  clickTracking?: string[];
  closedCaptions?: VastClosedCaption[];
}

/** An Open Measurement verification script to run beside the ad (`<Verification>`). */
export interface VastVerification {
  vendor: string;
  /** The OMID script: `<JavaScriptResource apiFramework="omid">`. */
  scriptUrl: string;
  /** Opaque text handed to the script (`<VerificationParameters>`). */
  parameters?: string;
}

export interface VastInput {
  /** The variant id. */
  adId: string;
  adServingId: string;
  adSystem: { name: string; version?: string };
  adTitle: string;
  description?: string;
  advertiser?: string;
  /** The schema needs at least one; with none, `about:blank` stands in as it recommends. */
  impressionUrls: string[];
  errorUrl?: string;
  verifications?: VastVerification[];
  creative: VastCreative;
}

export function buildVast(input: VastInput): string {
  const { creative } = input;
  if (creative.mediaFiles.length === 0) throw new RangeError('a VAST creative needs at least one media file');
  const impressionUrls = input.impressionUrls.length > 0 ? input.impressionUrls : ['about:blank'];

  const inLine = [
    textElement('AdSystem', input.adSystem.name, { version: input.adSystem.version }),
    ...optional(input.errorUrl, (url) => uriElement('Error', url)),
    ...impressionUrls.map((url) => uriElement('Impression', url)),
    textElement('AdServingId', input.adServingId),
    textElement('AdTitle', input.adTitle),
    ...(input.verifications?.length
      ? block('AdVerifications', {}, input.verifications.flatMap(verificationElement))
      : []),
    ...optional(input.advertiser, (name) => textElement('Advertiser', name)),
    ...block('Creatives', {}, block('Creative', { id: creative.id }, creativeBody(creative))),
    ...optional(input.description, (text) => textElement('Description', text)),
  ];
  return document(block('Ad', { id: input.adId }, block('InLine', {}, inLine)));
}

/**
 * A VAST with no `Ad`: the answer when nothing can be served. With an error URL, the player
 * requests it; `[ERRORCODE]` in it is filled with `errorCode` (303, "no ad", by default).
 */
export function buildEmptyVast(options: { errorUrl?: string; errorCode?: number } = {}): string {
  const errorCode = options.errorCode ?? VAST_NO_AD_ERROR;
  const errors = optional(options.errorUrl, (url) =>
    uriElement('Error', url.replaceAll('[ERRORCODE]', String(errorCode))),
  );
  return document(errors);
}

function verificationElement(verification: VastVerification): string[] {
  return block('Verification', { vendor: verification.vendor }, [
    uriElement('JavaScriptResource', verification.scriptUrl, {
      apiFramework: 'omid',
      browserOptional: 'true',
    }),
    ...optional(
      verification.parameters,
      (text) => `<VerificationParameters>${cdata(text)}</VerificationParameters>`,
    ),
  ]);
}

function creativeBody(creative: VastCreative): string[] {
  const tracking = VAST_QUARTILE_EVENTS.flatMap((event) =>
    (creative.tracking[event] ?? []).map((url) => uriElement('Tracking', url, { event })),
  );
  const captions = creative.closedCaptions ?? [];
  const clickTracking = creative.clickTracking ?? [];
  const videoClicks = [
    ...clickTracking.map((url) => uriElement('ClickTracking', url)),
    ...optional(creative.clickThrough, (url) => uriElement('ClickThrough', url)),
  ];

  const linear = [
    ...(tracking.length > 0 ? block('TrackingEvents', {}, tracking) : []),
    textElement('Duration', formatVastTime(creative.durationMs)),
    ...block('MediaFiles', {}, [
      ...(captions.length > 0
        ? block(
            'ClosedCaptionFiles',
            {},
            captions.map((caption) =>
              uriElement('ClosedCaptionFile', caption.url, {
                type: caption.type,
                language: caption.language,
              }),
            ),
          )
        : []),
      ...creative.mediaFiles.map(mediaFileElement),
    ]),
    ...(videoClicks.length > 0 ? block('VideoClicks', {}, videoClicks) : []),
  ];

  return [
    ...block('Linear', {}, linear),
    textElement('UniversalAdId', creative.universalAdId.value, {
      idRegistry: creative.universalAdId.idRegistry,
    }),
  ];
}

function mediaFileElement(file: VastMediaFile): string {
  return uriElement('MediaFile', file.url, {
    id: file.id,
    delivery: file.delivery,
    type: file.type,
    width: positiveInteger('width', file.width),
    height: positiveInteger('height', file.height),
    codec: file.codec,
    bitrate: positiveInteger('bitrate', Math.round(file.bitrateKbps)),
  });
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`media file ${name} must be a positive integer`);
  }
  return value;
}

// ---- XML writing ----

type Attributes = Record<string, string | number | undefined>;

/** Characters XML 1.0 cannot carry at all, even escaped (C0 controls, lone surrogates, U+FFFE/U+FFFF). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(value: string): string {
  return value.replace(NOT_XML_CHAR, '').replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

/** Wraps text in CDATA; a `]]>` inside is split across two sections so it cannot close the first. */
export function cdata(value: string): string {
  return `<![CDATA[${value.replace(NOT_XML_CHAR, '').replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

const SCHEME_AND_AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;
/** A `%` that starts no escape, or a bracket that is not part of a player macro such as `[ERRORCODE]`. */
const NOT_URI_IN_PATH = /%(?![0-9A-Fa-f]{2})|\[(?![A-Z][A-Z0-9_]*\])|(?<!\[[A-Z][A-Z0-9_]*)\]/g;
const URI_ESCAPES: Record<string, string> = { '%': '%25', '[': '%5B', ']': '%5D', '#': '%23' };

/**
 * Percent-encodes what RFC 3986 forbids and schema validators reject in `xs:anyURI`: square
 * brackets outside an IPv6 host and a player macro, a `%` that does not start an escape, and any
 * `#` after the first. Everything else is left as given.
 */
export function toSchemaUri(url: string): string {
  const trimmed = url.trim();
  const authority = SCHEME_AND_AUTHORITY.exec(trimmed)?.[0] ?? '';
  const [beforeFragment, ...fragmentParts] = trimmed.slice(authority.length).split('#');
  const encode = (part: string) => part.replace(NOT_URI_IN_PATH, (char) => URI_ESCAPES[char]);
  const fragment = fragmentParts.length > 0 ? `#${fragmentParts.map(encode).join(URI_ESCAPES['#'])}` : '';
  return authority + encode(beforeFragment) + fragment;
}

function openTag(name: string, attributes: Attributes): string {
  const written = Object.entries(attributes)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXml(String(value))}"`)
    .join('');
  return `<${name}${written}>`;
}

function textElement(name: string, text: string, attributes: Attributes = {}): string {
  return `${openTag(name, attributes)}${escapeXml(text)}</${name}>`;
}

function uriElement(name: string, url: string, attributes: Attributes = {}): string {
  return `${openTag(name, attributes)}${cdata(toSchemaUri(url))}</${name}>`;
}

function block(name: string, attributes: Attributes, children: string[]): string[] {
  return [openTag(name, attributes), ...children.map((line) => `  ${line}`), `</${name}>`];
}

function optional<T>(value: T | undefined, write: (value: T) => string): string[] {
  return value === undefined ? [] : [write(value)];
}

function document(children: string[]): string {
  const root =
    children.length > 0
      ? block('VAST', { version: VAST_VERSION, xmlns: VAST_NAMESPACE }, children)
      : [`<VAST version="${VAST_VERSION}" xmlns="${VAST_NAMESPACE}"/>`];
  return ['<?xml version="1.0" encoding="UTF-8"?>', ...root].join('\n') + '\n';
}

const MACRO = /\[([A-Z][A-Z0-9_]*)\]/g;

/**
 * The document with player macros XLink-escaped (`[ERRORCODE]` → `%5BERRORCODE%5D`), as XML Schema
 * 1.0 maps anyURI values before checking them; for validators that skip that step (libxml2).
 */
export function withMacrosEscaped(xml: string): string {
  return xml.replace(MACRO, '%5B$1%5D');
}
