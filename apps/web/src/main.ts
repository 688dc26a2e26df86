import type { Fact } from '@netatlas/wire';
import { summarizeFacts } from './fact-summary.js';

// Filled from the API's live stream once the socket.io client lands.
const facts: Fact[] = [];

const root = document.querySelector<HTMLElement>('#app');
if (root) {
  const title = document.createElement('h1');
  title.textContent = 'netatlas';
  const status = document.createElement('p');
  status.textContent = `Waiting for the API: ${summarizeFacts(facts)}.`;
  root.replaceChildren(title, status);
}
