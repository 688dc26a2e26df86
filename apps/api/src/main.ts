import { createApp } from './app.js';

const port = Number(process.env['PORT'] ?? 3000);
const host = process.env['HOST'] ?? '127.0.0.1';

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  throw new Error(`PORT must be an integer from 0 to 65535, got ${process.env['PORT']}`);
}

const app = await createApp();
await app.listen(port, host);
console.log(`netatlas api listening on ${await app.getUrl()}`);
