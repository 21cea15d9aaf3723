import { describe, expect, test } from 'vitest';
import { ConfigError, parseConfig } from '../../config/config.js';

describe('PostgreSQL setting', () => {
  test.each(['postgres://kiosk:secret@db.example:5432/kiosk_fleet', 'postgresql://127.0.0.1/kiosk_fleet?sslmode=require'])(
    'DATABASE_URL %s selects PostgreSQL',
    (url) => {
      expect(parseConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    },
  );

  test('without it the store is SQLite', () => {
    expect(parseConfig({}).DATABASE_URL).toBeUndefined();
  });

  test.each(['mysql://db.example/kiosk', 'db.example:5432', 'http://db.example'])(
    'DATABASE_URL %s is refused with a line saying what it must be',
    (url) => {
      expect(() => parseConfig({ DATABASE_URL: url })).toThrow(ConfigError);
      expect(() => parseConfig({ DATABASE_URL: url })).toThrow(/DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/);
    },
  );

  test('PostgreSQL and InfluxDB together are refused: the history has one home', () => {
    const influx = { INFLUX_URL: 'http://localhost:8086', INFLUX_TOKEN: 't', INFLUX_ORG: 'o', INFLUX_BUCKET: 'b' };

    expect(() => parseConfig({ ...influx, DATABASE_URL: 'postgres://127.0.0.1/kiosk_fleet' })).toThrow(
      'DATABASE_URL: the event history goes to PostgreSQL (DATABASE_URL) or InfluxDB (INFLUX_URL), not both',
    );
  });
});
