import express from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Precompressed copies the build writes beside each text file (web/precompress.ts), best first. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** Vite names what it builds under `assets/` after a hash of its content: such a name never changes meaning. */
const HASHED = /\/assets\/[^/]+-[\w-]{8,}\.\w+$/;
/** Plain names of files only, no `..`: anything else goes to express.static, which refuses traversal. */
const PLAIN_PATH = /^\/(?:[\w-]+\/)*[\w.-]+$/;

const extensionOf = (path: string) => /\.\w+$/.exec(path)?.[0] ?? '';

/**
 * The built web app: hashed assets cached for a year as immutable, everything else (index.html,
 * which names the current hashes) revalidated on every visit, and text files sent as the brotli or
 * gzip copy the build made when the browser accepts one.
 */
export function webAppFiles(root: string): express.RequestHandler[] {
  const chooseEncoding: express.RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const path = req.path === '/' ? '/index.html' : req.path;
    const type = CONTENT_TYPES[extensionOf(path)];
    if (!type || !PLAIN_PATH.test(path) || path.includes('..')) return next();
    res.vary('Accept-Encoding');
    const accepted = req.acceptsEncodings(ENCODINGS.map((e) => e.name));
    const encoding = ENCODINGS.find((e) => e.name === accepted);
    if (!encoding || !existsSync(join(root, `${path}${encoding.suffix}`))) return next();
    res.setHeader('Content-Encoding', encoding.name);
    // send() keeps a Content-Type already set, so the copy is typed as the file it stands for.
    res.setHeader('Content-Type', type);
    req.url = `${path}${encoding.suffix}`;
    next();
  };
  const files = express.static(root, {
    setHeaders(res, filePath) {
      res.setHeader(
        'Cache-Control',
        HASHED.test(filePath.replace(/\.(br|gz)$/, '')) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  return [chooseEncoding, files];
}
