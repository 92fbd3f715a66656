import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDate } from './date.js';

const dates: { name: string; text: string; expected: number | undefined }[] = [
  { name: 'a bare date is midnight UTC', text: '2020-01-01', expected: Date.UTC(2020, 0, 1) },
  { name: 'a date-time in UTC', text: '2020-01-01T00:00:01Z', expected: Date.UTC(2020, 0, 1, 0, 0, 1) },
  {
    name: 'a lower-case t and z are accepted',
    text: '2020-01-01t00:00:01z',
    expected: Date.UTC(2020, 0, 1, 0, 0, 1),
  },
  {
    name: 'a date-time without a zone is UTC',
    text: '2020-06-15T12:30:00',
    expected: Date.UTC(2020, 5, 15, 12, 30),
  },
  {
    name: 'a positive offset is subtracted',
    text: '2020-01-01T05:30:00+05:30',
    expected: Date.UTC(2020, 0, 1),
  },
  { name: 'a negative offset is added', text: '2019-12-31T19:00:00-05:00', expected: Date.UTC(2020, 0, 1) },
  { name: 'an offset without minutes', text: '2020-01-01T01:00:00+01', expected: Date.UTC(2020, 0, 1) },
  {
    name: 'fractions of a second are kept',
    text: '2020-01-01T00:00:00.123456Z',
    expected: Date.UTC(2020, 0, 1) + 123.456,
  },
  { name: 'hours and minutes only', text: '2020-01-01T10:15Z', expected: Date.UTC(2020, 0, 1, 10, 15) },
  { name: 'a year and month only', text: '2020-02', expected: Date.UTC(2020, 1, 1) },
  { name: 'a year followed by T', text: '2020T', expected: Date.UTC(2020, 0, 1) },
  { name: 'epoch seconds', text: '1577836800', expected: Date.UTC(2020, 0, 1) },
  { name: 'epoch zero', text: '0', expected: 0 },
  { name: 'a leap day', text: '2024-02-29T00:00:00Z', expected: Date.UTC(2024, 1, 29) },
  { name: 'a year before 1970', text: '1969-12-31T23:59:59Z', expected: -1000 },
  { name: 'a year before the common era', text: '-0001-01-01', expected: Date.UTC(-1, 0, 1) },
  { name: 'a month of 13 is refused', text: '2020-13-01', expected: undefined },
  { name: 'a day of 32 is refused', text: '2020-01-32', expected: undefined },
  { name: 'an hour of 24 is refused', text: '2020-01-01T24:00:00Z', expected: undefined },
  { name: 'a leap second is refused', text: '2016-12-31T23:59:60Z', expected: undefined },
  { name: 'words are refused', text: 'yesterday', expected: undefined },
  { name: 'the empty string is refused', text: '', expected: undefined },
  { name: 'a decimal epoch is refused', text: '1577836800.5', expected: undefined },
  { name: 'trailing garbage is refused', text: '2020-01-01T00:00:00Zx', expected: undefined },
];

describe('parseDate', () => {
  for (const c of dates) {
    test(c.name, () => assert.equal(parseDate(c.text), c.expected));
  }

  test('it agrees with Date for every ISO instant Date prints', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (d) => {
          assert.equal(parseDate(d.toISOString()), d.getTime());
        },
      ),
    );
  });
});
