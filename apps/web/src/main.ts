// netatlas web: REST and live clients, the live store, and the app shell.
import { LiveClient } from './api/live-client.js';
import { RestClient } from './api/rest-client.js';
import { App } from './shell/app.js';
import { LiveStore } from './state/live-store.js';
import './styles.css';

const apiUrl = (import.meta.env['VITE_NETATLAS_API_URL'] as string | undefined) ?? '';
const rest = new RestClient({ baseUrl: apiUrl });
const live = new LiveClient({ url: apiUrl, subscription: { topology: true } });
const store = new LiveStore(rest, live);
const root = document.querySelector<HTMLElement>('#app');
if (root) {
  new App(root, rest, live, store);
  live.start();
}
