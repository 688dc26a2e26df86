// netatlas web: asks the API who is looking, then shows the sign-in screen or the app (REST and
// live clients, the live store, and the shell) for that viewer (shell/session.ts).
import { Session } from './shell/session.js';
import './styles.css';

const apiUrl = (import.meta.env['VITE_NETATLAS_API_URL'] as string | undefined) ?? '';
const root = document.querySelector<HTMLElement>('#app');
if (root) void new Session(root, apiUrl).start();
