import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

/** ipaddr.js' range names, as a problem says them; any range but `unicast` is refused. */
const KIND_NAMES: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  reserved: 'reserved',
  uniqueLocal: 'unique-local',
  benchmarking: 'benchmarking',
  teredo: 'Teredo',
  rfc6052: 'NAT64 local-use',
};

/**
 * The IPv4 address an IPv6 one carries, for the forms that reach it: IPv4-mapped (`::ffff:a.b.c.d`),
 * IPv4-translated (`::ffff:0:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`)
 * and 6to4 (`2002:aabb:ccdd::`). Undefined for any other IPv6 address.
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts;
  const low = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const zeros = (from: number, to: number) => p.slice(from, to).every((part) => part === 0);
  if (zeros(0, 5) && p[5] === 0xffff) return low(p[6], p[7]);
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return low(p[6], p[7]);
  // `::` and `::1` are IPv6's own unspecified and loopback; the rest of ::/96 is IPv4-compatible.
  if (zeros(0, 6) && !(p[6] === 0 && p[7] <= 1)) return low(p[6], p[7]);
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return low(p[6], p[7]);
  if (p[0] === 0x2002) return low(p[1], p[2]);
  return undefined;
}

/**
 * The kind of non-public address this is (`loopback`, `private`, `reserved`, …), or undefined for a
 * public one. Only what ipaddr.js calls `unicast` is public; IPv6 forms that embed an IPv4 address are
 * judged by that address.
 */
export function nonPublicKind(raw: string): string | undefined {
  if (isIP(raw) === 0) return 'invalid';
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.parse(raw);
  } catch {
    return 'invalid';
  }
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    if (v6.zoneId !== undefined) return 'link-local';
    address = embeddedIPv4(v6) ?? v6;
  }
  const range = address.range();
  if (range === 'unicast') return undefined;
  return KIND_NAMES[range] ?? 'reserved';
}

/** Why these resolved addresses may not receive webhooks (the first offending one), or undefined. */
export function refuseAddresses(host: string, addresses: readonly string[], allowPrivate: boolean) {
  if (addresses.length === 0) return `${host} has no address`;
  if (allowPrivate) return undefined;
  for (const address of addresses) {
    const kind = nonPublicKind(address);
    if (kind)
      return host === address
        ? `${address} is a ${kind} address`
        : `${host} resolves to ${address}, a ${kind} address`;
  }
  return undefined;
}

/** The URL when its form is acceptable (https, or http when private targets are allowed; no credentials). */
export function checkUrlShape(raw: string, allowPrivate: boolean): { url: URL } | { refused: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { refused: 'is not a URL' };
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:'))
    return { refused: allowPrivate ? 'must use https or http' : 'must use https' };
  if (url.username || url.password) return { refused: 'must not contain credentials' };
  if (!url.hostname) return { refused: 'has no host' };
  return { url };
}

/** The host as DNS and `isIP` know it (`[::1]` → `::1`). */
export const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');
