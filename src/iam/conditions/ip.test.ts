import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inRange, parseCidr, parseIp } from './ip.js';

const blocks: {
  name: string;
  cidr: string;
  address: string;
  expected: boolean | 'bad-cidr' | 'bad-address';
}[] = [
  {
    name: 'a /0 IPv4 block holds every IPv4 address',
    cidr: '0.0.0.0/0',
    address: '255.255.255.255',
    expected: true,
  },
  { name: 'a /32 block holds only its address', cidr: '192.0.2.1/32', address: '192.0.2.2', expected: false },
  { name: 'a bare IPv4 address is a /32', cidr: '192.0.2.1', address: '192.0.2.1', expected: true },
  { name: 'a /31 block holds its two addresses', cidr: '192.0.2.0/31', address: '192.0.2.1', expected: true },
  {
    name: 'the first address past a block is outside it',
    cidr: '192.0.2.0/25',
    address: '192.0.2.128',
    expected: false,
  },
  {
    name: 'a prefix above 32 is not an IPv4 block',
    cidr: '10.0.0.0/33',
    address: '10.0.0.1',
    expected: 'bad-cidr',
  },
  { name: 'an empty prefix is not a block', cidr: '10.0.0.0/', address: '10.0.0.1', expected: 'bad-cidr' },
  { name: 'a signed prefix is not a block', cidr: '10.0.0.0/+8', address: '10.0.0.1', expected: 'bad-cidr' },
  {
    name: 'an octet above 255 is not an address',
    cidr: '256.0.0.0/8',
    address: '10.0.0.1',
    expected: 'bad-cidr',
  },
  {
    name: 'an octet with a leading zero is refused as ambiguous',
    cidr: '010.0.0.0/8',
    address: '10.0.0.1',
    expected: 'bad-cidr',
  },
  { name: 'three octets are not an address', cidr: '10.0.0/8', address: '10.0.0.1', expected: 'bad-cidr' },
  {
    name: 'a request address with spaces is not an address',
    cidr: '10.0.0.0/8',
    address: ' 10.0.0.1',
    expected: 'bad-address',
  },
  {
    name: 'a host name is not an address',
    cidr: '10.0.0.0/8',
    address: 'example.com',
    expected: 'bad-address',
  },
  {
    name: 'a /0 IPv6 block holds every IPv6 address',
    cidr: '::/0',
    address: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe',
    expected: true,
  },
  { name: 'a /0 IPv6 block holds no IPv4 address', cidr: '::/0', address: '10.0.0.1', expected: false },
  { name: 'an IPv4 block holds no IPv6 address', cidr: '0.0.0.0/0', address: '2001:db8::1', expected: false },
  {
    name: 'IPv6 groups are read case-insensitively',
    cidr: '2001:DB8::/32',
    address: '2001:db8:ffff::1',
    expected: true,
  },
  {
    name: 'a bare IPv6 address is a /128',
    cidr: '2001:db8::1',
    address: '2001:0db8:0000:0000:0000:0000:0000:0001',
    expected: true,
  },
  { name: 'the loopback ::1 is read', cidr: '::1/128', address: '0:0:0:0:0:0:0:1', expected: true },
  { name: 'a trailing :: is read', cidr: '2001:db8::/64', address: '2001:db8::', expected: true },
  {
    name: 'seven groups and :: make eight',
    cidr: '1:2:3:4:5:6:7::/128',
    address: '1:2:3:4:5:6:7:0',
    expected: true,
  },
  {
    name: 'nine groups are not an address',
    cidr: '1:2:3:4:5:6:7:8:9/128',
    address: '::1',
    expected: 'bad-cidr',
  },
  { name: 'two :: are not an address', cidr: '1::2::3/128', address: '::1', expected: 'bad-cidr' },
  { name: 'a five-digit group is not an address', cidr: '12345::/16', address: '::1', expected: 'bad-cidr' },
  {
    name: 'a prefix above 128 is not an IPv6 block',
    cidr: '2001:db8::/129',
    address: '2001:db8::1',
    expected: 'bad-cidr',
  },
  { name: 'a zone index is refused', cidr: '::/0', address: 'fe80::1%eth0', expected: 'bad-address' },
  {
    name: 'an embedded IPv4 tail is read',
    cidr: '64:ff9b::/96',
    address: '64:ff9b::192.0.2.33',
    expected: true,
  },
  {
    name: 'an IPv4-mapped request address matches an IPv4 block',
    cidr: '10.0.0.0/8',
    address: '::ffff:10.1.2.3',
    expected: true,
  },
  {
    name: 'an IPv4-mapped request address in hex matches an IPv4 block',
    cidr: '10.0.0.0/8',
    address: '::ffff:a01:203',
    expected: true,
  },
  {
    name: 'an IPv4-mapped block matches a plain IPv4 address',
    cidr: '::ffff:10.0.0.0/104',
    address: '10.200.1.1',
    expected: true,
  },
  {
    name: 'an IPv4-mapped block stays a block of its own size',
    cidr: '::ffff:10.0.0.0/104',
    address: '11.0.0.1',
    expected: false,
  },
];

describe('IP blocks', () => {
  for (const c of blocks) {
    test(c.name, () => {
      const range = parseCidr(c.cidr);
      const address = parseIp(c.address);
      if (c.expected === 'bad-cidr') return assert.equal(range, undefined);
      if (c.expected === 'bad-address') return assert.equal(address, undefined);
      assert.ok(range && address);
      assert.equal(inRange(address, range), c.expected);
    });
  }
});
