/** Where a node keeps its storage inside its data folder; one place, so the agent and `ame store` agree. */
import { join } from 'node:path';

export function storeFiles(dataDir: string): { dir: string; state: string; serviceLog: string } {
  const dir = join(dataDir, 'store');
  return { dir, state: join(dir, 'state.sqlite'), serviceLog: join(dir, 'service-log.sqlite') };
}
