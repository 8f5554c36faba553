import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may not go: addresses inside our own network or machine (loopback, private ranges,
 * cloud metadata on link-local, carrier-grade NAT, IPv6 unique-local) and addresses that are not a
 * single public host (unspecified, multicast, reserved). IPv4-mapped IPv6 addresses
 * (`::ffff:10.0.0.1`) match their IPv4 ranges.
 */
const RANGES: [kind: string, network: string, prefix: number][] = [
  ['unspecified', '0.0.0.0', 8],
  ['unspecified', '::', 128],
  ['loopback', '127.0.0.0', 8],
  ['loopback', '::1', 128],
  ['private', '10.0.0.0', 8],
  ['private', '172.16.0.0', 12],
  ['private', '192.168.0.0', 16],
  ['link-local', '169.254.0.0', 16],
  ['link-local', 'fe80::', 10],
  ['carrier-grade NAT', '100.64.0.0', 10],
  ['unique-local', 'fc00::', 7],
  ['multicast', '224.0.0.0', 4],
  ['multicast', 'ff00::', 8],
  ['reserved', '240.0.0.0', 4],
  ['reserved', '192.0.0.0', 24],
  ['reserved', '198.18.0.0', 15],
];

const BLOCK_LISTS = new Map<string, BlockList>();
for (const [kind, network, prefix] of RANGES) {
  const list = BLOCK_LISTS.get(kind) ?? new BlockList();
  list.addSubnet(network, prefix, isIP(network) === 6 ? 'ipv6' : 'ipv4');
  BLOCK_LISTS.set(kind, list);
}

/** The kind of non-public address this is (`loopback`, `private`, …), or undefined for a public one. */
export function nonPublicKind(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'invalid';
  for (const [kind, list] of BLOCK_LISTS)
    if (list.check(address, family === 6 ? 'ipv6' : 'ipv4')) return kind;
  return undefined;
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
