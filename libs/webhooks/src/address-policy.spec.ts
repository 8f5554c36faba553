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
    ['255.255.255.255', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local'],
  ])('refuses %s as %s', (address, kind) => {
    expect(nonPublicKind(address)).toBe(kind);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'lets public %s through',
    (address) => {
      expect(nonPublicKind(address)).toBeUndefined();
    },
  );

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
