// DATABASE_URL handling shared by the API and the db:migrate command (which must not need the
// generated Prisma client).

/** DATABASE_URL, or an error that says how to set it. */
export function databaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const url = env['DATABASE_URL']?.trim();
  if (!url) {
    throw new Error(
      'DATABASE_URL is not set. Point it at a PostgreSQL database, e.g. ' +
        'DATABASE_URL=postgresql://postgres@127.0.0.1:5432/netatlas',
    );
  }
  return url;
}

/** The URL with its password replaced by ***, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable database URL)';
  }
}
