import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RequestHandler } from 'express';

/** Swagger UI's files as its npm package ships them: served from here, never from a CDN. */
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/**
 * The page and its start-up script are files of their own (no inline script or style), so the
 * dashboard's Content-Security-Policy holds: scripts and styles from this origin only.
 */
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>kiosk-fleet REST API</title>
    <link rel="stylesheet" href="swagger-ui.css" />
  </head>
  <body>
    <div id="reference"></div>
    <script src="swagger-ui-bundle.js"></script>
    <script src="reference.js"></script>
  </body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise send the document to an online validator.
// Trying calls out is left to GETs: a state-changing call needs the session's CSRF token.
const START = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#reference',
    deepLinking: true,
    validatorUrl: null,
    supportedSubmitMethods: ['get'],
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const ASSETS: Record<string, string> = {
  '/swagger-ui.css': join(SWAGGER_UI_DIR, 'swagger-ui.css'),
  '/swagger-ui-bundle.js': join(SWAGGER_UI_DIR, 'swagger-ui-bundle.js'),
};

/**
 * `/docs/api/`: a readable reference of the REST API, from `GET /api/v1/openapi.json`. Public,
 * like the web app's own files; a plain handler (no routes), as the page's static files are.
 */
export function referencePage(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path === '/') {
      // Relative asset URLs need the trailing slash.
      if (!req.originalUrl.split('?')[0]!.endsWith('/')) return res.redirect(301, `${req.baseUrl}/`);
      return void res.type('html').send(PAGE);
    }
    if (req.path === '/reference.js') return void res.type('js').send(START);
    const asset = ASSETS[req.path];
    if (asset) return res.sendFile(asset, { maxAge: '1h' });
    return next();
  };
}
