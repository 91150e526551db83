import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('runs on embedded defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({
      kind: 'sqlite',
      file: path.resolve('data/switchboard.sqlite'),
      synchronous: 'FULL',
    });
    expect(config.whatsapp.graphUrl).toBe('https://graph.facebook.com');
    expect(config.whatsapp.apiVersion).toBe('v23.0');
    expect(config.workers).toEqual({ enabled: true, concurrency: 2, leaseMs: 30_000 });
  });

  it('switches to PostgreSQL with a postgres:// DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/sb' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://u@db:5432/sb' });
    expect(config.workers.concurrency).toBe(8); // statements are round trips there: more loops in flight
  });

  it('takes WORKER_CONCURRENCY as given on either database', () => {
    expect(loadConfig({ WORKER_CONCURRENCY: '3' }).workers.concurrency).toBe(3);
    expect(
      loadConfig({ WORKER_CONCURRENCY: '3', DATABASE_URL: 'postgres://u@db:5432/sb' }).workers.concurrency,
    ).toBe(3);
    expect(() => loadConfig({ WORKER_CONCURRENCY: '0' })).toThrow(/WORKER_CONCURRENCY/);
  });

  it('is frozen', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.whatsapp)).toBe(true);
  });

  it('names every variable that is wrong and says what is wrong', () => {
    try {
      loadConfig({
        PORT: '70000',
        DATABASE_URL: 'mysql://x',
        WHATSAPP_API_VERSION: 'v19.0',
        SWITCHBOARD_API_TOKEN: 'short',
        WORKERS: 'maybe',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      for (const name of ['PORT', 'DATABASE_URL', 'WHATSAPP_API_VERSION', 'SWITCHBOARD_API_TOKEN', 'WORKERS'])
        expect(message).toContain(name);
      expect(message).toContain('v23.0 or newer');
    }
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).database.kind).toBe('sqlite');
  });
});
