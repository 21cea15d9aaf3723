import { describe, expect, test } from 'vitest';
import { type FieldValue, LineProtocolError, parseLineProtocol, type Precision } from './influx-line-protocol.js';

const f = (value: number): FieldValue => ({ type: 'float', value });
const i = (value: bigint): FieldValue => ({ type: 'integer', value });
const s = (value: string): FieldValue => ({ type: 'string', value });
const b = (value: boolean): FieldValue => ({ type: 'boolean', value });

// Examples from InfluxDB's line protocol reference (docs.influxdata.com, InfluxDB v2, "Line protocol").
describe('the strict line protocol reader of the InfluxDB fake', () => {
  test.each<[string, string, Precision, ReturnType<typeof parseLineProtocol>[number]]>([
    [
      'the reference example: tags, float and string fields, a timestamp',
      'myMeasurement,tag1=value1,tag2=value2 fieldKey="fieldValue" 1556813561098000000',
      'ns',
      {
        measurement: 'myMeasurement',
        tags: { tag1: 'value1', tag2: 'value2' },
        fields: { fieldKey: s('fieldValue') },
        timeNs: 1556813561098000000n,
      },
    ],
    ['no tags, no timestamp', 'home temp=21.5', 'ns', { measurement: 'home', tags: {}, fields: { temp: f(21.5) }, timeNs: null }],
    [
      'every field type',
      'm float=1,neg=-1.5e3,int=12485903i,uint=12485903u,str="a b",t=t,T=TRUE,no=false',
      'ns',
      {
        measurement: 'm',
        tags: {},
        fields: {
          float: f(1),
          neg: f(-1500),
          int: i(12485903n),
          uint: { type: 'unsigned', value: 12485903n },
          str: s('a b'),
          t: b(true),
          T: b(true),
          no: b(false),
        },
        timeNs: null,
      },
    ],
    [
      'escaped commas and spaces in a measurement; escaped commas, equals signs and spaces in tags and field keys',
      String.raw`my\ Measurement,tag\ Key1=tag\ Value1,tag\,Key2=tag\=Value2 field\=Key="v" 1`,
      'ns',
      {
        measurement: 'my Measurement',
        tags: { 'tag Key1': 'tag Value1', 'tag,Key2': 'tag=Value2' },
        fields: { 'field=Key': s('v') },
        timeNs: 1n,
      },
    ],
    [
      'escaped quotes and backslashes in a string field; other backslashes kept',
      String.raw`m str="say \"hi\" \\ now \n"`,
      'ns',
      { measurement: 'm', tags: {}, fields: { str: s(String.raw`say "hi" \ now \n`) }, timeNs: null },
    ],
    [
      'a string field with a comma, an equals sign and a space inside',
      'm str="a,b=c d",n=1i 2',
      'ns',
      { measurement: 'm', tags: {}, fields: { str: s('a,b=c d'), n: i(1n) }, timeNs: 2n },
    ],
    [
      'a timestamp in milliseconds',
      'm v=1i 1556813561098',
      'ms',
      { measurement: 'm', tags: {}, fields: { v: i(1n) }, timeNs: 1556813561098000000n },
    ],
    [
      'a timestamp in seconds, and a negative one',
      'm v=1i -1',
      's',
      { measurement: 'm', tags: {}, fields: { v: i(1n) }, timeNs: -1_000_000_000n },
    ],
  ])('reads %s', (_name, line, precision, point) => {
    expect(parseLineProtocol(line, precision)).toEqual([point]);
  });

  test('reads several lines, skipping blank lines and comments; a line break inside a string is part of it', () => {
    const points = parseLineProtocol('# a comment\na v=1i 1\n\nb s="two\nlines" 2\n');
    expect(points.map((p) => [p.measurement, p.fields, p.timeNs])).toEqual([
      ['a', { v: i(1n) }, 1n],
      ['b', { s: s('two\nlines') }, 2n],
    ]);
  });

  test.each<[string, string, Precision, string]>([
    ['no field at all', 'm,tag=a', 'ns', 'missing fields'],
    ['no field after the space', 'm,tag=a ', 'ns', 'missing fields'],
    ['a timestamp but no field', 'm 1556813561098000000', 'ns', 'missing field value'],
    ['an empty tag value', 'm,tag= v=1i', 'ns', 'missing tag value'],
    ['a tag without a value', 'm,tag v=1i', 'ns', 'missing tag value'],
    ['an empty measurement', ',tag=a v=1i', 'ns', 'missing measurement'],
    ['an unescaped space in a tag value', 'm,tag=a b v=1i', 'ns', 'missing field value'],
    ['an unterminated string', 'm s="abc', 'ns', 'unterminated string field value'],
    ['a string not quoted', 'm s=abc', 'ns', 'invalid field value: abc'],
    ['an integer suffix on a float', 'm v=1.5i', 'ns', 'invalid field value: 1.5i'],
    ['an integer beyond 64 bits', 'm v=9223372036854775808i', 'ns', 'integer value out of range: 9223372036854775808i'],
    ['a negative unsigned integer', 'm v=-1u', 'ns', 'invalid field value: -1u'],
    ['a boolean spelt otherwise', 'm v=yes', 'ns', 'invalid field value: yes'],
    ['a timestamp that is not an integer', 'm v=1i 1.5', 'ns', 'invalid timestamp "1.5"'],
    ['two spaces before the timestamp', 'm v=1i  1', 'ns', 'invalid timestamp " 1"'],
    ['a nanosecond timestamp sent as milliseconds', 'm v=1i 1556813561098000000', 'ms', 'time outside range'],
    ['something after the closing quote', 'm s="a"b', 'ns', 'invalid field format'],
  ])('refuses %s, as InfluxDB does', (_name, line, precision, reason) => {
    expect(() => parseLineProtocol(line, precision)).toThrow(new LineProtocolError(line, reason));
  });
});
