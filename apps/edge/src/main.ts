import { AdloomConfig } from '@adloom/config';
import { createEdge, Edge } from './server';

/** Starts the edge and listens on EDGE_PORT; resolves once it accepts connections. */
export async function runEdge(config: AdloomConfig): Promise<Edge> {
  const edge = await createEdge(config);
  await edge.app.listen({ port: config.EDGE_PORT, host: config.HOST });
  return edge;
}
