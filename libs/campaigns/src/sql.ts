/** The constraint a statement broke when Postgres refused it as a duplicate (23505), else undefined. */
export function uniqueViolation(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const driver = (error as { driverError?: unknown }).driverError ?? error;
  const { code, constraint } = driver as { code?: unknown; constraint?: unknown };
  if (code !== '23505') return undefined;
  return typeof constraint === 'string' ? constraint : '';
}

/** A jsonb parameter: pg would turn a JS array into a Postgres array, so JSON is passed as text. */
export function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
