// HTTP content coding as the API answers it and its clients (the browser, the benches' servers) ask for it.

/**
 * Whether an Accept-Encoding header takes gzip: named with a q above 0, or not named and `*` with a
 * q above 0 (RFC 9110 §12.5.3: a coding named explicitly, even `gzip;q=0`, overrides `*`).
 */
export function takesGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  let star: boolean | null = null;
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';');
    if (coding !== 'gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const takes = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip') return takes;
    star = takes;
  }
  return star ?? false;
}
