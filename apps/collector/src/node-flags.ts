/**
 * The V8 flags the collector runs with (`node <flags> dist/apps/collector/main.js`): small young
 * generation and size-optimised heap. The collector turns large tool outputs into short-lived
 * objects; with V8's defaults its RSS on a 10,000-route node is ~110 MB, with these ~80 MB
 * (npm run bench:collector). V8 reads them only at start-up, so they belong on the command line.
 */
export const COLLECTOR_NODE_FLAGS = ['--max-semi-space-size=2', '--optimize-for-size'];
