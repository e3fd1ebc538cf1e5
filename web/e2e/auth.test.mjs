// End-to-end test of the artifact browser under access control: the real
// server with `--auth token --admin-token <random>` on loopback, a VIEWER
// token made over GraphQL with the admin token (by this test, not the UI),
// then Chromium signs in, reloads, signs out and tries a wrong token.
//
//   node --test e2e/auth.test.mjs        (scripts/test-web runs every e2e/ test)
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { startServer } from './server.mjs';

const shots = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));
mkdirSync(shots, { recursive: true });

const adminToken = `e2e-admin-${randomBytes(24).toString('base64url')}`;
let server;
let browser;
let viewerToken;

async function gql(query, token) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  server = await startServer({ args: ['--auth', 'token', '--admin-token', adminToken] });
  const made = await gql(
    `mutation {
      fraud: upsertProject(input: {name: "fraud", description: "Card-fraud detection"}) { name }
      churn: upsertProject(input: {name: "churn", description: "Customer churn"}) { name }
    }`,
    adminToken,
  );
  assert.deepEqual(made.body.errors, undefined);
  const created = await gql(`mutation { createToken(input: {name: "ui", role: VIEWER}) { token } }`, adminToken);
  viewerToken = created.body.data.createToken.token;
  assert.match(viewerToken, /^agt_/);
  // The server really asks for a token.
  const anonymous = await gql('{ projects { name } }');
  assert.equal(anonymous.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('artifact browser under --auth token', () => {
  test('signs in with a token, stays signed in on reload, signs out, refuses a wrong token', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const consoleLines = [];
    const problems = [];
    const urls = [];
    page.on('console', (m) => {
      consoleLines.push(m.text());
      // The browser's own notice for the 401 a wrong token gets is expected.
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 401/.test(m.text())) {
        problems.push(`console error: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    page.on('request', (r) => urls.push(r.url()));
    const authHeaders = [];
    page.on('request', async (r) => {
      if (r.url().endsWith('/graphql')) authHeaders.push((await r.allHeaders()).authorization ?? null);
    });

    await page.goto(`${server.url}/`);

    // 1. No token: the sign-in panel, not a broken page.
    const field = page.getByLabel('Access token');
    await field.waitFor();
    assert.equal(await field.getAttribute('type'), 'password');
    await page.getByText('This server requires an access token').waitFor();
    assert.equal(await page.getByRole('link', { name: 'fraud', exact: true }).count(), 0);
    await page.screenshot({ path: join(shots, 'signin-1280.png') });

    // 2. The VIEWER token: the projects, and who is signed in.
    await field.fill(viewerToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'fraud', exact: true }).waitFor();
    await page.getByRole('link', { name: 'churn', exact: true }).waitFor();
    await page.getByText('Signed in as ui (VIEWER)').waitFor();
    assert.equal(await page.getByLabel('Access token').count(), 0);
    assert.equal(await page.evaluate(() => window.localStorage.length), 0, 'nothing in localStorage');
    assert.equal(await page.evaluate(() => window.sessionStorage.getItem('artigraph.token')), viewerToken);

    // 3. A reload in the same tab: still signed in.
    await page.reload();
    await page.getByRole('link', { name: 'fraud', exact: true }).waitFor();
    await page.getByText('Signed in as ui (VIEWER)').waitFor();
    assert.equal(await page.getByLabel('Access token').count(), 0);

    // The token also works on a project page.
    await page.getByRole('link', { name: 'fraud', exact: true }).click();
    await page.getByRole('heading', { name: 'fraud' }).first().waitFor();
    assert.equal(await page.getByLabel('Access token').count(), 0);

    // 4. Sign out: the token is gone and the panel is back.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access token').waitFor();
    assert.equal(await page.evaluate(() => window.sessionStorage.getItem('artigraph.token')), null);
    assert.equal(await page.getByText(/Signed in as/).count(), 0);

    // 5. A wrong token: the server's message, still signed out.
    await page.getByLabel('Access token').fill('agt_0000000000000000_not-a-real-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /the token is unknown, revoked or expired/);
    await page.getByLabel('Access token').waitFor();
    assert.equal(await page.evaluate(() => window.sessionStorage.getItem('artigraph.token')), null);
    await page.screenshot({ path: join(shots, 'signin-refused-1280.png') });

    // The token went in headers only: never in a URL, never to the console.
    assert.ok(authHeaders.includes(`Bearer ${viewerToken}`), 'the token was sent as a Bearer header');
    for (const u of urls) assert.ok(!u.includes(viewerToken), `token in a URL: ${u}`);
    for (const line of consoleLines) assert.ok(!line.includes(viewerToken), 'token in the console');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a kept token the server no longer accepts is dropped, with its message', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const made = await gql(`mutation { createToken(input: {name: "short-lived", role: VIEWER}) { token info { id } } }`, adminToken);
    const { token, info } = made.body.data.createToken;
    await page.goto(`${server.url}/`);
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as short-lived (VIEWER)').waitFor();
    await page.screenshot({ path: join(shots, 'signed-in-390.png') });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the signed-in page scrolls sideways by ${overflow}px at 390px`);

    const revoked = await gql(`mutation { revokeToken(id: "${info.id}") }`, adminToken);
    assert.equal(revoked.body.data.revokeToken, true);
    await page.reload();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /the token is unknown, revoked or expired/);
    await page.getByLabel('Access token').waitFor();
    assert.equal(await page.evaluate(() => window.sessionStorage.getItem('artigraph.token')), null);
    await context.close();
  });
});
