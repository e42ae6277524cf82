import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono, Next } from 'hono';

/** The dashboard's files (plain HTML, JS and CSS, no build step), shipped in the package's ui/ folder. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Serves the dashboard at /dashboard/ (read once at start: a handful of small files) and sends / there. */
export function mountDashboardAssets(app: Hono, dir: string = DASHBOARD_DIR): void {
  const files = new Map<string, { body: string; type: string }>();
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (type) files.set(name, { body: readFileSync(join(dir, name), 'utf8'), type });
    }
  }
  const serve = (c: Context, name: string, next: Next) => {
    const file = files.get(name);
    if (!file) return next();
    return c.body(file.body, 200, { 'content-type': file.type, 'cache-control': 'no-cache' });
  };
  app.get('/', (c) => c.redirect('/dashboard/'));
  app.get('/dashboard', (c) => c.redirect('/dashboard/'));
  app.get('/dashboard/', (c, next) => serve(c, 'index.html', next));
  app.get('/dashboard/:file', (c, next) => serve(c, c.req.param('file'), next));
}
