/**
 * A campaign's route: the generators to try in order, each `provider` or `provider:model`
 * (`["fal:wan-2.2", "gemini-veo:veo-3.1-fast-generate-preview", "procedural"]`). Pure.
 */
import { GENERATOR_NAMES, GeneratorName } from './video-generator';

export interface RouteEntry {
  provider: GeneratorName;
  /** Empty: the provider's configured default, resolved when the campaign is planned. */
  model: string;
}

export interface ResolvedRouteEntry {
  provider: GeneratorName;
  model: string;
}

export const MAX_ROUTE_LENGTH = 5;
export const ROUTE_ENTRY = /^([a-z][a-z0-9-]*)(?::([^\s:][^\s]{0,99}))?$/;

/** `fal:wan-2.2` → `{ provider: 'fal', model: 'wan-2.2' }`; throws a RangeError naming the problem. */
export function parseRouteEntry(entry: string): RouteEntry {
  const match = ROUTE_ENTRY.exec(entry);
  if (!match) throw new RangeError(`"${entry}" is not "provider" or "provider:model"`);
  const provider = match[1];
  if (!(GENERATOR_NAMES as readonly string[]).includes(provider)) {
    throw new RangeError(`unknown generator "${provider}" (known: ${GENERATOR_NAMES.join(', ')})`);
  }
  return { provider: provider as GeneratorName, model: match[2] ?? '' };
}

export function formatRouteEntry(entry: RouteEntry): string {
  return entry.model ? `${entry.provider}:${entry.model}` : entry.provider;
}

/** The stored campaign columns (generator, model, fallbacks) as a route. */
export function routeOf(generator: string, model: string, fallbacks: readonly string[] = []): RouteEntry[] {
  return [{ ...parseRouteEntry(generator), model }, ...fallbacks.map(parseRouteEntry)];
}

/** Every entry with a model: its own, or the provider's default. */
export function resolveRoute(
  route: readonly RouteEntry[],
  defaultModel: (provider: GeneratorName) => string,
): ResolvedRouteEntry[] {
  return route.map((entry) => ({
    provider: entry.provider,
    model: entry.model || defaultModel(entry.provider),
  }));
}
