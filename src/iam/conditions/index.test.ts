import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lookupFromRecord, type ContextValue } from '../context.js';
import { PolicyError } from '../errors.js';
import { compileConditionBlock } from './index.js';

interface Case {
  name: string;
  condition: Record<string, unknown>;
  context: Record<string, ContextValue>;
  expected: boolean;
  variables?: boolean;
}

const ARN = 'arn:aws:ecr:us-east-1:111122223333:repository/team/app';

const cases: Case[] = [
  // String
  {
    name: 'StringEquals matches an equal value',
    condition: { StringEquals: { 'aws:PrincipalAccount': '111122223333' } },
    context: { 'aws:PrincipalAccount': '111122223333' },
    expected: true,
  },
  {
    name: 'StringEquals is case-sensitive on values',
    condition: { StringEquals: { 'aws:PrincipalTag/team': 'Platform' } },
    context: { 'aws:PrincipalTag/team': 'platform' },
    expected: false,
  },
  {
    name: 'StringEquals looks keys up case-insensitively',
    condition: { StringEquals: { 'AWS:principaltag/TEAM': 'x' } },
    context: { 'aws:PrincipalTag/team': 'x' },
    expected: true,
  },
  {
    name: 'StringEquals ORs its values',
    condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'us-east-1'] } },
    context: { 'aws:RequestedRegion': 'us-east-1' },
    expected: true,
  },
  {
    name: 'StringEquals with a missing key is false',
    condition: { StringEquals: { 'aws:SourceAccount': '1' } },
    context: {},
    expected: false,
  },
  {
    name: 'StringEquals treats a star as a character',
    condition: { StringEquals: { 'aws:username': 'a*' } },
    context: { 'aws:username': 'abc' },
    expected: false,
  },
  {
    name: 'StringNotEquals with a missing key is true',
    condition: { StringNotEquals: { 'aws:SourceAccount': '1' } },
    context: {},
    expected: true,
  },
  {
    name: 'StringNotEquals is true when the value matches none',
    condition: { StringNotEquals: { 'aws:RequestedRegion': ['a', 'b'] } },
    context: { 'aws:RequestedRegion': 'c' },
    expected: true,
  },
  {
    name: 'StringNotEquals is false when the value matches one',
    condition: { StringNotEquals: { 'aws:RequestedRegion': ['a', 'b'] } },
    context: { 'aws:RequestedRegion': 'b' },
    expected: false,
  },
  {
    name: 'StringEqualsIgnoreCase folds case',
    condition: { StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'PLATFORM' } },
    context: { 'aws:PrincipalTag/team': 'Platform' },
    expected: true,
  },
  {
    name: 'StringNotEqualsIgnoreCase is false for a value differing only in case',
    condition: { StringNotEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'PLATFORM' } },
    context: { 'aws:PrincipalTag/team': 'platform' },
    expected: false,
  },
  {
    name: 'StringLike globs with a star',
    condition: { StringLike: { 's3:prefix': 'home/*' } },
    context: { 's3:prefix': 'home/alice/docs' },
    expected: true,
  },
  {
    name: 'StringLike globs with a question mark',
    condition: { StringLike: { 'aws:username': 'bo?' } },
    context: { 'aws:username': 'bob' },
    expected: true,
  },
  {
    name: 'StringLike is case-sensitive',
    condition: { StringLike: { 'aws:username': 'Bo*' } },
    context: { 'aws:username': 'bob' },
    expected: false,
  },
  {
    name: 'StringNotLike is false when a pattern matches',
    condition: { StringNotLike: { 'aws:username': ['x*', 'b*'] } },
    context: { 'aws:username': 'bob' },
    expected: false,
  },
  {
    name: 'StringNotLike with a missing key is true',
    condition: { StringNotLike: { 'aws:username': 'b*' } },
    context: {},
    expected: true,
  },
  // IfExists
  {
    name: 'StringEqualsIfExists with a missing key is true',
    condition: { StringEqualsIfExists: { 'aws:RequestTag/env': 'prod' } },
    context: {},
    expected: true,
  },
  {
    name: 'StringEqualsIfExists with a present key tests it',
    condition: { StringEqualsIfExists: { 'aws:RequestTag/env': 'prod' } },
    context: { 'aws:RequestTag/env': 'dev' },
    expected: false,
  },
  {
    name: 'StringNotEqualsIfExists with a present matching key is false',
    condition: { StringNotEqualsIfExists: { 'aws:RequestTag/env': 'prod' } },
    context: { 'aws:RequestTag/env': 'prod' },
    expected: false,
  },
  {
    name: 'NumericLessThanIfExists with a missing key is true',
    condition: { NumericLessThanIfExists: { 'aws:MultiFactorAuthAge': '3600' } },
    context: {},
    expected: true,
  },
  {
    name: 'BoolIfExists with a missing key is true',
    condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
    context: {},
    expected: true,
  },
  // Numeric
  {
    name: 'NumericEquals compares numbers, not text',
    condition: { NumericEquals: { 's3:max-keys': '10' } },
    context: { 's3:max-keys': '010.0' },
    expected: true,
  },
  {
    name: 'NumericEquals accepts a JSON number in the policy',
    condition: { NumericEquals: { 's3:max-keys': 10 } },
    context: { 's3:max-keys': '10' },
    expected: true,
  },
  {
    name: 'NumericEquals keeps integers beyond double precision apart',
    condition: { NumericEquals: { 'x:n': '9007199254740993' } },
    context: { 'x:n': '9007199254740992' },
    expected: false,
  },
  {
    name: 'NumericNotEquals is true for a different number',
    condition: { NumericNotEquals: { 'x:n': ['1', '2'] } },
    context: { 'x:n': '3' },
    expected: true,
  },
  {
    name: 'NumericNotEquals with a missing key is true',
    condition: { NumericNotEquals: { 'x:n': '1' } },
    context: {},
    expected: true,
  },
  {
    name: 'NumericLessThan holds when the request value is smaller',
    condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } },
    context: { 'aws:MultiFactorAuthAge': '59.5' },
    expected: true,
  },
  {
    name: 'NumericLessThan fails on equality',
    condition: { NumericLessThan: { 'x:n': '5' } },
    context: { 'x:n': '5' },
    expected: false,
  },
  {
    name: 'NumericLessThanEquals holds on equality',
    condition: { NumericLessThanEquals: { 'x:n': '5' } },
    context: { 'x:n': '5.000' },
    expected: true,
  },
  {
    name: 'NumericGreaterThan compares negative numbers',
    condition: { NumericGreaterThan: { 'x:n': '-2' } },
    context: { 'x:n': '-1.5' },
    expected: true,
  },
  {
    name: 'NumericGreaterThanEquals fails for a smaller value',
    condition: { NumericGreaterThanEquals: { 'x:n': '0.5' } },
    context: { 'x:n': '.25' },
    expected: false,
  },
  {
    name: 'NumericEquals with an unparsable request value is false',
    condition: { NumericEquals: { 'x:n': '1' } },
    context: { 'x:n': 'one' },
    expected: false,
  },
  {
    name: 'NumericNotEquals with an unparsable request value is false too',
    condition: { NumericNotEquals: { 'x:n': '1' } },
    context: { 'x:n': 'one' },
    expected: false,
  },
  {
    name: 'an unparsable numeric policy value never matches',
    condition: { NumericEquals: { 'x:n': ['abc', '2'] } },
    context: { 'x:n': '2' },
    expected: true,
  },
  {
    name: 'an unparsable numeric policy value makes a negated operator false',
    condition: { NumericNotEquals: { 'x:n': ['abc', '2'] } },
    context: { 'x:n': '3' },
    expected: false,
  },
  // Date
  {
    name: 'DateGreaterThan compares ISO date-times',
    condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } },
    context: { 'aws:CurrentTime': '2020-01-01T00:00:01Z' },
    expected: true,
  },
  {
    name: 'DateLessThan reads a bare date as midnight UTC',
    condition: { DateLessThan: { 'aws:CurrentTime': '2020-01-02' } },
    context: { 'aws:CurrentTime': '2020-01-01T23:59:59Z' },
    expected: true,
  },
  {
    name: 'DateEquals compares an epoch with an ISO date-time',
    condition: { DateEquals: { 'aws:EpochTime': '2020-01-01T00:00:00Z' } },
    context: { 'aws:EpochTime': '1577836800' },
    expected: true,
  },
  {
    name: 'DateEquals honours a zone offset',
    condition: { DateEquals: { 'aws:CurrentTime': '2020-01-01T01:00:00+01:00' } },
    context: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' },
    expected: true,
  },
  {
    name: 'DateEquals honours a negative zone offset',
    condition: { DateEquals: { 'aws:CurrentTime': '2019-12-31T19:00:00-05:00' } },
    context: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' },
    expected: true,
  },
  {
    name: 'DateLessThan sees fractions of a second',
    condition: { DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00.5Z' } },
    context: { 'aws:CurrentTime': '2020-01-01T00:00:00.25Z' },
    expected: true,
  },
  {
    name: 'DateLessThanEquals holds on equality',
    condition: { DateLessThanEquals: { 'aws:CurrentTime': '1577836800' } },
    context: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' },
    expected: true,
  },
  {
    name: 'DateGreaterThanEquals fails for an earlier time',
    condition: { DateGreaterThanEquals: { 'aws:CurrentTime': '2020-01-01' } },
    context: { 'aws:CurrentTime': '2019-12-31T23:59:59Z' },
    expected: false,
  },
  {
    name: 'DateNotEquals with a missing key is true',
    condition: { DateNotEquals: { 'aws:TokenIssueTime': '2020-01-01' } },
    context: {},
    expected: true,
  },
  {
    name: 'DateNotEquals with an unreadable request value is false',
    condition: { DateNotEquals: { 'aws:CurrentTime': '2020-01-01' } },
    context: { 'aws:CurrentTime': 'yesterday' },
    expected: false,
  },
  // Bool
  {
    name: 'Bool matches true',
    condition: { Bool: { 'aws:SecureTransport': 'true' } },
    context: { 'aws:SecureTransport': 'true' },
    expected: true,
  },
  {
    name: 'Bool compares case-insensitively',
    condition: { Bool: { 'aws:SecureTransport': 'TRUE' } },
    context: { 'aws:SecureTransport': 'True' },
    expected: true,
  },
  {
    name: 'Bool accepts a JSON boolean in the policy',
    condition: { Bool: { 'aws:SecureTransport': false } },
    context: { 'aws:SecureTransport': 'false' },
    expected: true,
  },
  {
    name: 'Bool with a missing key is false',
    condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } },
    context: {},
    expected: false,
  },
  {
    name: 'Bool with a request value that is not a boolean is false',
    condition: { Bool: { 'x:b': 'true' } },
    context: { 'x:b': 'yes' },
    expected: false,
  },
  {
    name: 'Bool resolves a policy variable',
    condition: { Bool: { 'x:b': '${x:expected}' } },
    context: { 'x:b': 'true', 'x:expected': 'true' },
    expected: true,
  },
  // Binary
  {
    name: 'BinaryEquals compares decoded bytes',
    condition: { BinaryEquals: { 'x:bin': 'QmluYXJ5' } },
    context: { 'x:bin': 'QmluYXJ5' },
    expected: true,
  },
  {
    name: 'BinaryEquals ignores base64 padding differences',
    condition: { BinaryEquals: { 'x:bin': 'YQ==' } },
    context: { 'x:bin': 'YQ' },
    expected: true,
  },
  {
    name: 'BinaryEquals fails for different bytes',
    condition: { BinaryEquals: { 'x:bin': 'YQ==' } },
    context: { 'x:bin': 'Yg==' },
    expected: false,
  },
  {
    name: 'BinaryEquals fails for a request value that is not base64',
    condition: { BinaryEquals: { 'x:bin': 'YQ==' } },
    context: { 'x:bin': '!!' },
    expected: false,
  },
  // IP
  {
    name: 'IpAddress matches an address inside an IPv4 block',
    condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
    context: { 'aws:SourceIp': '203.0.113.77' },
    expected: true,
  },
  {
    name: 'IpAddress does not match an address outside the block',
    condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
    context: { 'aws:SourceIp': '203.0.114.1' },
    expected: false,
  },
  {
    name: 'IpAddress reads a bare address as a single host',
    condition: { IpAddress: { 'aws:SourceIp': '203.0.113.5' } },
    context: { 'aws:SourceIp': '203.0.113.5' },
    expected: true,
  },
  {
    name: 'IpAddress with /0 matches every IPv4 address',
    condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } },
    context: { 'aws:SourceIp': '8.8.8.8' },
    expected: true,
  },
  {
    name: 'IpAddress ignores host bits in the block',
    condition: { IpAddress: { 'aws:SourceIp': '10.1.2.3/8' } },
    context: { 'aws:SourceIp': '10.200.0.1' },
    expected: true,
  },
  {
    name: 'IpAddress matches an IPv6 block',
    condition: { IpAddress: { 'aws:SourceIp': '2001:db8::/32' } },
    context: { 'aws:SourceIp': '2001:DB8:0:0:1::7' },
    expected: true,
  },
  {
    name: 'IpAddress reads an IPv4-mapped IPv6 address as IPv4',
    condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
    context: { 'aws:SourceIp': '::ffff:10.9.8.7' },
    expected: true,
  },
  {
    name: 'IpAddress never matches across families',
    condition: { IpAddress: { 'aws:SourceIp': '::/0' } },
    context: { 'aws:SourceIp': '10.0.0.1' },
    expected: false,
  },
  {
    name: 'NotIpAddress is true across families',
    condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
    context: { 'aws:SourceIp': '2001:db8::1' },
    expected: true,
  },
  {
    name: 'NotIpAddress is false inside a listed block',
    condition: { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '10.0.0.0/8'] } },
    context: { 'aws:SourceIp': '10.0.0.1' },
    expected: false,
  },
  {
    name: 'NotIpAddress with a missing key is true',
    condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
    context: {},
    expected: true,
  },
  {
    name: 'NotIpAddress with a request value that is not an address is false',
    condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
    context: { 'aws:SourceIp': 'localhost' },
    expected: false,
  },
  {
    name: 'an invalid CIDR in the policy never matches',
    condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } },
    context: { 'aws:SourceIp': '10.0.0.1' },
    expected: false,
  },
  // ARN
  {
    name: 'ArnLike globs per part',
    condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:ecr:*:111122223333:repository/*' } },
    context: { 'aws:SourceArn': ARN },
    expected: true,
  },
  {
    name: 'ArnEquals globs exactly as ArnLike does',
    condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:ecr:*:111122223333:repository/*' } },
    context: { 'aws:SourceArn': ARN },
    expected: true,
  },
  {
    name: 'ArnLike does not let a star cross a colon',
    condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:ecr:*:repository/team/app' } },
    context: { 'aws:SourceArn': ARN },
    expected: false,
  },
  {
    name: 'ArnLike is case-sensitive',
    condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/Admin' } },
    context: { 'aws:PrincipalArn': 'arn:aws:iam::1:role/admin' },
    expected: false,
  },
  {
    name: 'ArnNotLike is true for an ARN outside every pattern',
    condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/Admin' } },
    context: { 'aws:PrincipalArn': 'arn:aws:iam::1:role/ci' },
    expected: true,
  },
  {
    name: 'ArnNotEquals is false for a matching ARN',
    condition: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::1:role/*' } },
    context: { 'aws:PrincipalArn': 'arn:aws:iam::1:role/ci' },
    expected: false,
  },
  {
    name: 'ArnNotLike with a missing key is true',
    condition: { ArnNotLike: { 'aws:SourceArn': 'arn:aws:s3:::*' } },
    context: {},
    expected: true,
  },
  {
    name: 'ArnNotLike with a request value that is not an ARN is false',
    condition: { ArnNotLike: { 'aws:SourceArn': 'arn:aws:s3:::*' } },
    context: { 'aws:SourceArn': 'bucket' },
    expected: false,
  },
  {
    name: 'ArnLike with a policy value that is not an ARN is false',
    condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3' } },
    context: { 'aws:SourceArn': 'arn:aws:s3:::b' },
    expected: false,
  },
  {
    name: 'ArnLike substitutes variables',
    condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*' } },
    context: { 'aws:SourceArn': ARN, 'aws:PrincipalAccount': '111122223333' },
    expected: true,
  },
  // Null
  {
    name: 'Null true holds when the key is absent',
    condition: { Null: { 'aws:TokenIssueTime': 'true' } },
    context: {},
    expected: true,
  },
  {
    name: 'Null true fails when the key is present',
    condition: { Null: { 'aws:TokenIssueTime': 'true' } },
    context: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' },
    expected: false,
  },
  {
    name: 'Null false holds when the key is present',
    condition: { Null: { 'aws:TokenIssueTime': 'false' } },
    context: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' },
    expected: true,
  },
  {
    name: 'Null false fails when the key is absent',
    condition: { Null: { 'aws:TokenIssueTime': false } },
    context: {},
    expected: false,
  },
  {
    name: 'Null reads its value case-insensitively',
    condition: { Null: { 'aws:TokenIssueTime': 'TRUE' } },
    context: {},
    expected: true,
  },
  {
    name: 'Null counts an empty multi-valued key as present',
    condition: { Null: { 'aws:TagKeys': 'false' } },
    context: { 'aws:TagKeys': [] },
    expected: true,
  },
  // multi-valued keys
  {
    name: 'a multi-valued key without a qualifier makes StringEquals false',
    condition: { StringEquals: { 'aws:TagKeys': 'env' } },
    context: { 'aws:TagKeys': ['env'] },
    expected: false,
  },
  {
    name: 'a multi-valued key without a qualifier makes StringNotEquals false',
    condition: { StringNotEquals: { 'aws:TagKeys': 'env' } },
    context: { 'aws:TagKeys': ['a', 'b'] },
    expected: false,
  },
  {
    name: 'a multi-valued key without a qualifier makes an IfExists operator false',
    condition: { StringEqualsIfExists: { 'aws:TagKeys': 'env' } },
    context: { 'aws:TagKeys': ['env'] },
    expected: false,
  },
  // ForAllValues
  {
    name: 'ForAllValues holds when every request value is listed',
    condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team'] } },
    context: { 'aws:TagKeys': ['env', 'team'] },
    expected: true,
  },
  {
    name: 'ForAllValues fails when one request value is not listed',
    condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } },
    context: { 'aws:TagKeys': ['env', 'owner'] },
    expected: false,
  },
  {
    name: 'ForAllValues holds when the key is absent',
    condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } },
    context: {},
    expected: true,
  },
  {
    name: 'ForAllValues holds when the key is empty',
    condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } },
    context: { 'aws:TagKeys': [] },
    expected: true,
  },
  {
    name: 'ForAllValues treats a single-valued key as one value',
    condition: { 'ForAllValues:StringLike': { 'aws:username': 'a*' } },
    context: { 'aws:username': 'alice' },
    expected: true,
  },
  {
    name: 'ForAllValues with a negated operator needs every value outside the list',
    condition: { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } },
    context: { 'aws:TagKeys': ['env', 'secret'] },
    expected: false,
  },
  {
    name: 'ForAllValues:StringNotEquals holds when no value is listed',
    condition: { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } },
    context: { 'aws:TagKeys': ['env', 'team'] },
    expected: true,
  },
  {
    name: 'ForAllValues with IfExists still holds when the key is absent',
    condition: { 'ForAllValues:StringEqualsIfExists': { 'aws:TagKeys': ['env'] } },
    context: {},
    expected: true,
  },
  // ForAnyValue
  {
    name: 'ForAnyValue holds when one request value is listed',
    condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } },
    context: { 'aws:TagKeys': ['owner', 'env'] },
    expected: true,
  },
  {
    name: 'ForAnyValue fails when no request value is listed',
    condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } },
    context: { 'aws:TagKeys': ['owner'] },
    expected: false,
  },
  {
    name: 'ForAnyValue fails when the key is absent',
    condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } },
    context: {},
    expected: false,
  },
  {
    name: 'ForAnyValue fails when the key is empty',
    condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } },
    context: { 'aws:TagKeys': [] },
    expected: false,
  },
  {
    name: 'ForAnyValue ignores IfExists when the key is absent',
    condition: { 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': ['env'] } },
    context: {},
    expected: false,
  },
  {
    name: 'ForAnyValue with a negated operator needs one value outside the list',
    condition: { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } },
    context: { 'aws:TagKeys': ['env', 'x'] },
    expected: true,
  },
  {
    name: 'ForAnyValue:StringNotEquals fails when every value is listed',
    condition: { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } },
    context: { 'aws:TagKeys': ['env'] },
    expected: false,
  },
  {
    name: 'ForAnyValue works with IP blocks',
    condition: { 'ForAnyValue:IpAddress': { 'x:ips': '10.0.0.0/8' } },
    context: { 'x:ips': ['192.0.2.1', '10.1.1.1'] },
    expected: true,
  },
  // block logic
  {
    name: 'operators AND together',
    condition: { StringEquals: { 'a:x': '1' }, StringLike: { 'a:y': '2*' } },
    context: { 'a:x': '1', 'a:y': '3' },
    expected: false,
  },
  {
    name: 'keys under one operator AND together',
    condition: { StringEquals: { 'a:x': '1', 'a:y': '2' } },
    context: { 'a:x': '1', 'a:y': '2' },
    expected: true,
  },
  {
    name: 'keys under one operator fail if one fails',
    condition: { StringEquals: { 'a:x': '1', 'a:y': '2' } },
    context: { 'a:x': '1' },
    expected: false,
  },
  {
    name: 'an empty value list makes a positive operator false',
    condition: { StringEquals: { 'a:x': [] } },
    context: { 'a:x': '1' },
    expected: false,
  },
  {
    name: 'an empty value list makes a negated operator true',
    condition: { StringNotEquals: { 'a:x': [] } },
    context: { 'a:x': '1' },
    expected: true,
  },
  {
    name: 'an unknown operator with no keys is ignored',
    condition: { SomethingElse: {}, StringEquals: { 'a:x': '1' } },
    context: { 'a:x': '1' },
    expected: true,
  },
  // variables
  {
    name: 'StringEquals substitutes a policy variable',
    condition: { StringEquals: { 'aws:ResourceTag/owner': '${aws:username}' } },
    context: { 'aws:ResourceTag/owner': 'alice', 'aws:username': 'alice' },
    expected: true,
  },
  {
    name: 'StringEquals with an unresolvable variable does not match',
    condition: { StringEquals: { 'aws:ResourceTag/owner': '${aws:username}' } },
    context: { 'aws:ResourceTag/owner': 'alice' },
    expected: false,
  },
  {
    name: 'StringNotEquals with an unresolvable variable matches',
    condition: { StringNotEquals: { 'aws:ResourceTag/owner': '${aws:username}' } },
    context: { 'aws:ResourceTag/owner': 'alice' },
    expected: true,
  },
  {
    name: 'StringNotLike with an unresolvable variable matches',
    condition: { StringNotLike: { 'aws:ResourceTag/owner': '${aws:username}*' } },
    context: { 'aws:ResourceTag/owner': 'alice' },
    expected: true,
  },
  {
    name: 'a variable default is used when the key is absent',
    condition: { StringEquals: { 'aws:ResourceTag/team': "${aws:PrincipalTag/team, 'shared'}" } },
    context: { 'aws:ResourceTag/team': 'shared' },
    expected: true,
  },
  {
    name: 'an escaped star in StringLike is literal',
    condition: { StringLike: { 'a:x': 'a${*}' } },
    context: { 'a:x': 'abc' },
    expected: false,
  },
  {
    name: 'a star from a tag value is literal in StringLike',
    condition: { StringLike: { 'a:x': '${aws:PrincipalTag/p}' } },
    context: { 'a:x': 'abc', 'aws:PrincipalTag/p': 'a*' },
    expected: false,
  },
  {
    name: 'in a 2008-10-17 policy a variable is literal text',
    condition: { StringEquals: { 'a:x': '${aws:username}' } },
    context: { 'a:x': '${aws:username}', 'aws:username': 'alice' },
    expected: true,
    variables: false,
  },
  {
    name: 'in a 2008-10-17 policy a variable is not substituted',
    condition: { StringEquals: { 'a:x': '${aws:username}' } },
    context: { 'a:x': 'alice', 'aws:username': 'alice' },
    expected: false,
    variables: false,
  },
];

describe('compileConditionBlock evaluates', () => {
  for (const c of cases) {
    test(c.name, () => {
      const block = compileConditionBlock(c.condition, { variables: c.variables ?? true });
      assert.ok(block, 'expected a compiled block');
      assert.equal(block.test(lookupFromRecord(c.context)), c.expected);
    });
  }
});

const rejected: { name: string; condition: unknown; message: string }[] = [
  {
    name: 'a Condition that is an array is a syntax error',
    condition: [{ StringEquals: { 'a:x': '1' } }],
    message: 'Syntax errors in policy.',
  },
  {
    name: 'a Condition that is a string is a syntax error',
    condition: 'a',
    message: 'Syntax errors in policy.',
  },
  { name: 'a null Condition is a syntax error', condition: null, message: 'Syntax errors in policy.' },
  {
    name: 'an operator whose body is a string is a syntax error',
    condition: { DateGreaterThan: 'b' },
    message: 'Syntax errors in policy.',
  },
  {
    name: 'an operator whose body is an array is a syntax error',
    condition: { DateGreaterThan: [] },
    message: 'Syntax errors in policy.',
  },
  {
    name: 'a key whose value is an object is a syntax error',
    condition: { StringEquals: { 'a:x': {} } },
    message: 'Syntax errors in policy.',
  },
  {
    name: 'a key whose value is null is a syntax error',
    condition: { StringEquals: { 'a:x': null } },
    message: 'Syntax errors in policy.',
  },
  {
    name: 'a key whose value nests arrays is a syntax error',
    condition: { StringEquals: { 'a:x': [['1']] } },
    message: 'Syntax errors in policy.',
  },
  {
    name: 'an unknown operator is refused with its name',
    condition: { StringEqual: { 'a:x': '1' } },
    message: 'Invalid Condition type : StringEqual',
  },
  {
    name: 'operator names are case-sensitive',
    condition: { stringEquals: { 'a:x': '1' } },
    message: 'Invalid Condition type : stringEquals',
  },
  {
    name: 'set qualifiers are case-sensitive',
    condition: { 'forAnyValue:StringEquals': { 'a:x': '1' } },
    message: 'Invalid Condition type : forAnyValue:StringEquals',
  },
  {
    name: 'a misspelt set qualifier is refused',
    condition: { 'ForAnyValues:StringEquals': { 'a:x': '1' } },
    message: 'Invalid Condition type : ForAnyValues:StringEquals',
  },
  {
    name: 'a doubled colon after a qualifier is refused',
    condition: { 'ForAnyValue::StringEqualsIfExists': { 'a:x': '1' } },
    message: 'Invalid Condition type : ForAnyValue::StringEqualsIfExists',
  },
  {
    name: 'IfExists on Null is refused',
    condition: { NullIfExists: { 'a:x': 'true' } },
    message: 'Invalid Condition type : NullIfExists',
  },
  {
    name: 'IfExists alone is not an operator',
    condition: { IfExists: { 'a:x': 'true' } },
    message: 'Invalid Condition type : IfExists',
  },
  {
    name: 'a date IAM cannot read fails legacy parsing',
    condition: { DateGreaterThan: { 'a:x': 'sdfdsf' } },
    message: 'The policy failed legacy parsing',
  },
  {
    name: 'a month out of range fails legacy parsing',
    condition: { DateLessThanEquals: { 'a:x': '234-13' } },
    message: 'The policy failed legacy parsing',
  },
  {
    name: 'a one-digit zone hour fails legacy parsing',
    condition: { DateLessThanEquals: { 'a:x': '2016-12-13t2:00:00.593194+1' } },
    message: 'The policy failed legacy parsing',
  },
  {
    name: 'a ten-digit fraction fails legacy parsing',
    condition: { DateLessThanEquals: { 'a:x': '2016-12-13t2:00:00.1999999999+10:59' } },
    message: 'The policy failed legacy parsing',
  },
  {
    name: 'an epoch beyond 2^63-1 fails legacy parsing',
    condition: { DateLessThan: { 'a:x': '9223372036854775808' } },
    message: 'The policy failed legacy parsing',
  },
];

describe('compileConditionBlock refuses', () => {
  for (const c of rejected) {
    test(c.name, () => {
      assert.throws(
        () => compileConditionBlock(c.condition, { variables: true, statement: 2 }),
        (e: unknown) =>
          e instanceof PolicyError &&
          e.code === 'MalformedPolicyDocument' &&
          e.message === c.message &&
          e.statement === 2,
      );
    });
  }
});

describe('compileConditionBlock accepts', () => {
  const accepted: { name: string; condition: unknown; empty: boolean }[] = [
    { name: 'an absent Condition means no condition', condition: undefined, empty: true },
    { name: 'an empty Condition means no condition', condition: {}, empty: true },
    { name: 'operators without keys mean no condition', condition: { DateGreaterThan: {} }, empty: true },
    {
      name: 'unknown operators without keys are accepted, as IAM does',
      condition: { x: {}, y: {} },
      empty: true,
    },
    {
      name: 'a key with an empty array is accepted, as IAM does',
      condition: { DateGreaterThan: { 'a:x': [] } },
      empty: false,
    },
    {
      name: 'the year-only date 01T is accepted, as IAM does',
      condition: { DateGreaterThan: { 'a:x': '01T' } },
      empty: false,
    },
    {
      name: 'a negative year is accepted, as IAM does',
      condition: { DateLessThan: { 'a:x': '-292275054' } },
      empty: false,
    },
    {
      name: 'a one-digit hour with a zone is accepted, as IAM does',
      condition: { DateLessThanEquals: { 'a:x': '2016-12-13t2:00:00.593194+23' } },
      empty: false,
    },
    {
      name: 'ForAnyValue with IfExists is accepted, as IAM does',
      condition: { 'ForAnyValue:StringEqualsIfExists': { 'a:x': 'asf' } },
      empty: false,
    },
    {
      name: 'a qualifier on Null is accepted and ignored',
      condition: { 'ForAllValues:Null': { 'a:x': 'true' } },
      empty: false,
    },
  ];
  for (const c of accepted) {
    test(c.name, () => {
      const block = compileConditionBlock(c.condition, { variables: true });
      assert.equal(block === undefined, c.empty);
    });
  }
});

describe('compileConditionBlock explains', () => {
  test('clauses list every operator and key as written', () => {
    const block = compileConditionBlock(
      { StringEquals: { 'aws:PrincipalTag/Team': ['a', 'b'] }, NumericLessThan: { 'x:N': 5 } },
      { variables: true },
    );
    assert.deepEqual(block?.clauses, [
      { operator: 'StringEquals', key: 'aws:PrincipalTag/Team', values: ['a', 'b'] },
      { operator: 'NumericLessThan', key: 'x:N', values: ['5'] },
    ]);
  });

  test('failing names only the clauses that do not hold', () => {
    const block = compileConditionBlock(
      { StringEquals: { 'a:x': '1', 'a:y': '2' }, Bool: { 'a:b': 'true' } },
      { variables: true },
    );
    const failing = block?.failing(lookupFromRecord({ 'a:x': '1', 'a:y': '3', 'a:b': 'false' }));
    assert.deepEqual(failing, [
      { operator: 'StringEquals', key: 'a:y', values: ['2'] },
      { operator: 'Bool', key: 'a:b', values: ['true'] },
    ]);
  });
});

describe('negated operators', () => {
  const pairs: [string, string, fc.Arbitrary<string>][] = [
    ['StringEquals', 'StringNotEquals', fc.constantFrom('a', 'b', 'A', 'ab')],
    ['StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', fc.constantFrom('a', 'b', 'A', 'ab')],
    ['StringLike', 'StringNotLike', fc.constantFrom('a', 'b*', '*', '?', 'ab', 'a?')],
    ['NumericEquals', 'NumericNotEquals', fc.integer({ min: -3, max: 3 }).map(String)],
    [
      'DateEquals',
      'DateNotEquals',
      fc.constantFrom('2020-01-01', '2020-01-01T00:00:00Z', '1577836800', '1577836801'),
    ],
    [
      'IpAddress',
      'NotIpAddress',
      fc.constantFrom('10.0.0.1', '10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32', '2001:db8::1'),
    ],
    [
      'ArnLike',
      'ArnNotLike',
      fc.constantFrom('arn:aws:s3:::a', 'arn:aws:s3:::*', 'arn:aws:*:*:*:*', 'arn:aws:iam::1:role/x'),
    ],
    [
      'ArnEquals',
      'ArnNotEquals',
      fc.constantFrom('arn:aws:s3:::a', 'arn:aws:s3:::*', 'arn:aws:iam::1:role/x'),
    ],
  ];
  const requestValues: Record<string, fc.Arbitrary<string>> = {
    String: fc.constantFrom('a', 'b', 'A', 'ab', 'abc'),
    Numeric: fc.integer({ min: -3, max: 3 }).map(String),
    Date: fc.constantFrom('2020-01-01T00:00:00Z', '1577836801', '2019-12-31'),
    Ip: fc.constantFrom('10.0.0.1', '10.2.3.4', '192.0.2.9', '2001:db8::1', '8.8.8.8'),
    Arn: fc.constantFrom('arn:aws:s3:::a', 'arn:aws:s3:::b', 'arn:aws:iam::1:role/x'),
  };
  for (const [positive, negated, policyValue] of pairs) {
    const family = Object.keys(requestValues).find((f) => positive.startsWith(f)) ?? 'Ip';
    test(`${negated} is the complement of ${positive} for a present single value`, () => {
      fc.assert(
        fc.property(
          fc.array(policyValue, { maxLength: 3 }),
          requestValues[family] as fc.Arbitrary<string>,
          (values, v) => {
            const ctx = lookupFromRecord({ 'k:k': v });
            const p = compileConditionBlock({ [positive]: { 'k:k': values } }, { variables: true });
            const n = compileConditionBlock({ [negated]: { 'k:k': values } }, { variables: true });
            assert.equal(n?.test(ctx), !p?.test(ctx));
          },
        ),
      );
    });
  }
});
