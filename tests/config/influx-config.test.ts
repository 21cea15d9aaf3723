import { describe, expect, test } from 'vitest';
import { ConfigError, parseConfig } from '../../config/config.js';

const INFLUX = {
  INFLUX_URL: 'http://localhost:8086',
  INFLUX_TOKEN: 'secret',
  INFLUX_ORG: 'city library',
  INFLUX_BUCKET: 'kiosks',
};

describe('InfluxDB settings', () => {
  test('the four INFLUX_* settings together select InfluxDB', () => {
    expect(parseConfig(INFLUX)).toMatchObject(INFLUX);
  });

  test('without them the store is SQLite: no INFLUX_* setting is set', () => {
    expect(Object.keys(parseConfig({})).filter((key) => key.startsWith('INFLUX_'))).toEqual([]);
  });

  test.each(Object.keys(INFLUX))('without %s the start is refused with a line naming what is missing', (key) => {
    const env: Record<string, string> = { ...INFLUX };
    delete env[key];

    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(
      `${key}: INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET go together: ${key} missing`,
    );
  });

  test('INFLUX_URL must be an http or https URL', () => {
    expect(() => parseConfig({ ...INFLUX, INFLUX_URL: 'localhost:8086' })).toThrow(
      /INFLUX_URL must be an http:\/\/ or https:\/\/ URL/,
    );
  });
});
