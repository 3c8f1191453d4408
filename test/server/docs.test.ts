/**
 * /docs: Swagger UI served from the package itself (no CDN, no call to the public validator), its start-up script
 * without inline code, a Content-Security-Policy that keeps every request on this server, and only the
 * whitelisted library files under /docs/assets/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Script } from 'node:vm';
import { type RunningServer, startServer } from '../../src/server/server.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-docs-'));
let server: RunningServer;
before(async () => {
  mkdirSync(join(dir, 'models'));
  server = await startServer({
    modelsDir: join(dir, 'models'),
    allowEmpty: true,
    port: 0,
    host: '127.0.0.1',
    processMetrics: false,
    log: () => {},
  });
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('/docs', () => {
  it('serves Swagger UI from this server only, over /openapi.yaml', async () => {
    const res = await fetch(`${server.url}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self';.*connect-src 'self'/);
    const html = await res.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(
      refs.filter((r) => !r.startsWith('/')),
      [],
      'every script, style and link is local',
    );
    assert.ok(!/<script>[^<]/.test(html), 'no inline script');
    assert.match(html, /\/v1\/models\/\{model\}\/fill-mask/); // the no-script table of operations
    for (const ref of refs.filter((r) => r.startsWith('/docs/'))) {
      const asset = await fetch(`${server.url}${ref}`);
      assert.equal(asset.status, 200, ref);
      assert.ok((await asset.arrayBuffer()).byteLength > 0, ref);
    }
    const bundle = await fetch(`${server.url}/docs/assets/swagger-ui-bundle.js`);
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
    assert.match(await bundle.text(), /SwaggerUIBundle/);
  });

  it('starts Swagger UI with the local YAML and no public validator', async () => {
    const init = await (await fetch(`${server.url}/docs/init.js`)).text();
    assert.doesNotThrow(() => new Script(init));
    assert.match(init, /url: '\/openapi\.yaml'/);
    assert.match(init, /validatorUrl: null/);
    const yaml = await fetch(`${server.url}/openapi.yaml`);
    assert.equal(yaml.status, 200);
    assert.match(await yaml.text(), /^openapi: 3/m);
  });

  it('serves only the whitelisted library files', async () => {
    for (const path of [
      '/docs/assets/package.json',
      '/docs/assets/index.html',
      '/docs/assets/..%2f..%2fpackage.json',
    ]) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
    }
  });
});
