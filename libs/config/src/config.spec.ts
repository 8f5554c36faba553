import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.ADLOOM_SERVICES).toBe('auto');
    expect(config.OPTIMIZE_INTERVAL).toBe(60_000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses durations with units', () => {
    expect(loadConfig({ OPTIMIZE_INTERVAL: '5s' }).OPTIMIZE_INTERVAL).toBe(5000);
    expect(loadConfig({ OPTIMIZE_INTERVAL: '15m' }).OPTIMIZE_INTERVAL).toBe(900_000);
    expect(loadConfig({ OPTIMIZE_INTERVAL: '900' }).OPTIMIZE_INTERVAL).toBe(900_000);
  });

  it('names every bad variable', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', ADLOOM_SERVICES: 'cloud', DATABASE_URL: 'not a url' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(variables).toEqual(['ADLOOM_SERVICES', 'DATABASE_URL', 'PORT']);
    expect((error as Error).message).toContain('PORT');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
  });
});
