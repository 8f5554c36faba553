import { AdloomConfig } from '@adloom/config';
import { createApi } from './app';

/** Starts the API and listens; resolves once it accepts connections. */
export async function runApi(config: AdloomConfig) {
  const app = await createApi(config);
  await app.listen({ port: config.PORT, host: config.HOST });
  return app;
}
