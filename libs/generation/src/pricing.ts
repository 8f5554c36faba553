import type { AdloomConfig, PriceTable } from '@adloom/config';

/**
 * The price per second of video a provider charges for a model at a resolution, from GENERATION_PRICES:
 * `provider:model` wins over `provider`; a per-resolution price table without this resolution uses its
 * highest price (never under-estimate spend). OpenAI-compatible gateways fall back to
 * OPENAI_PRICE_PER_SECOND, ComfyUI (for estimates) to its price per GPU second; others with no price cost 0.
 */
export function pricePerSecond(
  prices: PriceTable,
  provider: string,
  model: string,
  resolution: string,
  fallback = 0,
): number {
  const entry = prices[`${provider}:${model}`] ?? prices[provider];
  if (entry === undefined) return fallback;
  if (typeof entry === 'number') return entry;
  return entry[resolution] ?? Math.max(0, ...Object.values(entry));
}

export type Pricer = (model: string, resolution: string) => number;

/** The price function of one provider under this configuration. */
export function pricerFor(config: AdloomConfig, provider: string): Pricer {
  const fallback =
    provider === 'openai-videos'
      ? config.OPENAI_PRICE_PER_SECOND
      : provider === 'comfyui'
        ? config.COMFYUI_PRICE_PER_GPU_SECOND
        : 0;
  return (model, resolution) =>
    pricePerSecond(config.GENERATION_PRICES, provider, model, resolution, fallback);
}

export function roundMoney(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** Generation seconds and money per provider and model: each clip counted once. */
export interface ProviderSpend {
  provider: string;
  model: string;
  clips: number;
  generationSeconds: number;
  cost: number;
}
