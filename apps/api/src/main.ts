// netatlas API: `npm run api`. Configured by environment variables (README "Configuration").
import { loadConfig, type ApiConfig } from './settings.js';
import { startApi } from './start.js';

let config: ApiConfig;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`netatlas-api: ${(error as Error).message}\n`);
  process.exit(2);
}

try {
  const api = await startApi(config);
  process.stderr.write(`netatlas-api: listening on ${api.url} (REST under /api, docs at ${api.url}/api/docs)\n`);
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`netatlas-api: ${signal}: stopping\n`);
      api.close().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`netatlas-api: error while stopping: ${(error as Error).message}\n`);
          process.exit(1);
        },
      );
    });
  }
} catch (error) {
  process.stderr.write(`netatlas-api: cannot start: ${(error as Error).message}\n`);
  process.exit(1);
}
