import { checkUrlShape, nonPublicKind, refuseAddresses } from './address-policy';

describe('webhook address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    // IPv4-translated, IPv4-compatible, NAT64 and 6to4 forms of loopback, link-local and private.
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::169.254.169.254', 'link-local'],
    ['::10.0.0.1', 'private'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['64:ff9b:1::8.8.8.8', 'NAT64 local-use'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:7f00:0001:0:0:0:0:1', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2002:c0a8:101::', 'private'],
    ['2002:0a00:0001::', 'private'],
    // Documentation, benchmarking and other special ranges.
    ['192.0.2.10', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.200', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001:2::1', 'benchmarking'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['fec0::1', 'reserved'],
    ['100::1', 'reserved'],
    ['fe80::1%eth0', 'link-local'],
    ['not-an-address', 'invalid'],
  ])('refuses %s as %s', (address, kind) => {
    expect(nonPublicKind(address)).toBe(kind);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
  ])('lets public %s through', (address) => {
    expect(nonPublicKind(address)).toBeUndefined();
  });

  it('refuses a host when any of its addresses is not public, unless allowed', () => {
    expect(refuseAddresses('hooks.example.com', ['8.8.8.8', '10.1.2.3'], false)).toBe(
      'hooks.example.com resolves to 10.1.2.3, a private address',
    );
    expect(refuseAddresses('10.1.2.3', ['10.1.2.3'], false)).toBe('10.1.2.3 is a private address');
    expect(refuseAddresses('hooks.example.com', ['10.1.2.3'], true)).toBeUndefined();
    expect(refuseAddresses('hooks.example.com', ['8.8.8.8'], false)).toBeUndefined();
  });

  it('wants https, or http only where private targets are allowed, and no credentials', () => {
    expect(checkUrlShape('http://example.com/x', false)).toEqual({ refused: 'must use https' });
    expect(checkUrlShape('http://example.com/x', true)).toHaveProperty('url');
    expect(checkUrlShape('https://example.com/x', false)).toHaveProperty('url');
    expect(checkUrlShape('ftp://example.com/x', true)).toEqual({ refused: 'must use https or http' });
    expect(checkUrlShape('https://user:pw@example.com/x', false)).toEqual({
      refused: 'must not contain credentials',
    });
    expect(checkUrlShape('not a url', false)).toEqual({ refused: 'is not a URL' });
  });
});
