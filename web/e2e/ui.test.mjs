// End-to-end tests of the UI: the real server (built from this checkout, with
// the committed web/dist embedded), seeded over GraphQL, driven in Debian's
// Chromium. Screenshots of every main page at 1280 and 390 pixels wide go to
// web/test-results/screenshots/.
//
//   node --test e2e/        (scripts/test-web runs it)
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';
import { gql, rocSvg, seed } from './seed.mjs';
import { startServer } from './server.mjs';

const shots = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));
mkdirSync(shots, { recursive: true });

let server;
let browser;
let seeded;
/** Problems any page had: console errors, uncaught exceptions, requests off the server. */
const problems = [];

before(async () => {
  server = await startServer();
  seeded = await seed(server.url);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fresh page at a viewport width, watching for errors and outside requests. */
async function open(path, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true, locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${path}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${path}: uncaught: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(server.url) && !u.startsWith(server.url.replace('http', 'ws')) && !/^(data|blob|about):/.test(u)) {
      problems.push(`${path}: request outside the server: ${u}`);
    }
  });
  await page.goto(server.url + path);
  return page;
}

async function close(page) {
  await page.context().close();
}

/**
 * Saves a screenshot of the whole page. Chromium's full-page capture leaves
 * frames (HTML plots) blank, so pages without viewport-sized parts are shot
 * in a viewport as tall as they are instead.
 */
async function shoot(page, name, { stretch = true } = {}) {
  await page.waitForLoadState('networkidle');
  const { width, height } = page.viewportSize();
  const path = join(shots, `${name}-${width}.png`);
  if (!stretch) {
    await page.screenshot({ path, fullPage: true });
    return;
  }
  const full = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width, height: Math.max(height, full) });
  await page.waitForTimeout(300);
  await page.screenshot({ path });
  await page.setViewportSize({ width, height });
}

describe('artifact browser', () => {
  test('lists the projects with their counts', async () => {
    const page = await open('/');
    const fraud = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'fraud', exact: true }) });
    await fraud.getByRole('link', { name: '1', exact: true }).first().waitFor(); // one model
    assert.equal(await page.getByRole('link', { name: 'churn', exact: true }).count(), 1);
    assert.equal(await page.title(), 'Projects · Artigraph');
    await close(page);
  });

  test('searches artifacts by label, and puts the search in the URL', async () => {
    const page = await open('/projects/fraud');
    await page.getByRole('link', { name: 'transactions', exact: true }).first().waitFor();
    await page.getByRole('textbox', { name: 'Labels' }).fill('env=staging');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/label=env%3Dstaging/);
    const table = page.getByRole('region', { name: 'All artifacts in fraud' });
    // The unfiltered rows stay until the filtered answer arrives: wait for
    // one that must go, not for one that was already there.
    await table.getByRole('link', { name: 'transactions' }).waitFor({ state: 'detached' });
    await table.getByRole('link', { name: 'predictions' }).waitFor();
    assert.equal(await table.getByRole('row').count(), 2); // header + predictions

    // A shared link opens the same search.
    await page.goto(`${server.url}/projects/fraud?type=models&label=env%3Dprod`);
    await page.getByRole('link', { name: 'classifier' }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'Models in fraud' }).getByRole('row').count(), 2);
    assert.equal(await page.getByRole('textbox', { name: 'Labels' }).inputValue(), 'env=prod');
    await close(page);
  });

  test('merges the kinds of a group, and shows every version on request', async () => {
    const page = await open('/projects/fraud?type=datasets');
    const table = page.getByRole('region', { name: 'Datasets in fraud' });
    await table.getByRole('link', { name: 'feature-summary' }).waitFor(); // a TABLE among the DATASETs
    assert.equal(await table.getByRole('link', { name: 'transactions' }).count(), 1);
    await page.getByRole('checkbox', { name: 'All versions' }).check();
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/all=1/);
    await page.waitForFunction(() => document.querySelectorAll('a[href*="/transactions?"]').length === 2);
    await close(page);
  });

  test('opens an artifact, follows the model→chart link, downloads content and YAML', async () => {
    const page = await open('/projects/fraud?type=models');
    await page.getByRole('link', { name: 'classifier' }).click();
    await page.getByRole('heading', { level: 1, name: 'classifier' }).waitFor();
    // the type-specific information
    const model = page.getByRole('region', { name: 'Model' });
    assert.equal(await model.getByRole('rowheader', { name: 'auc' }).count(), 1);
    assert.equal(await model.getByRole('rowheader', { name: 'max_depth' }).count(), 1);
    const overview = page.getByRole('region', { name: 'Overview' });
    assert.match(await overview.innerText(), /train\/0\/classifier\.pkl/);
    assert.match(await overview.innerText(), /ana/);
    // the chart renders inline
    const links = page.getByRole('region', { name: 'Links' });
    const img = links.getByRole('img', { name: 'chart: roc' });
    await img.waitFor();
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());

    await links.getByRole('link', { name: 'roc', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'roc' }).waitFor();
    assert.match(page.url(), /\/projects\/fraud\/artifacts\/roc\?uid=/);
    // and links back
    const back = page.getByRole('region', { name: 'Links' });
    assert.equal(await back.getByRole('link', { name: 'classifier' }).count(), 1);

    const [content] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download content' }).click()]);
    assert.equal(content.suggestedFilename(), 'roc.svg');
    assert.equal(readFileSync(await content.path(), 'utf8'), rocSvg(0.91));
    const [yaml] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download YAML' }).click()]);
    assert.match(readFileSync(await yaml.path(), 'utf8'), /kind: plot[\s\S]*key: roc/);
    await close(page);
  });

  test('shows a dataset with its preview, schema, statistics and versions', async () => {
    const page = await open('/projects/fraud/datasets/transactions');
    const data = page.getByRole('region', { name: 'Dataset' });
    await data.getByRole('region', { name: 'Preview of transactions' }).waitFor();
    assert.equal(await data.getByRole('region', { name: 'Preview of transactions' }).getByRole('row').count(), 7);
    assert.equal(await data.getByRole('rowheader', { name: 'is_fraud' }).count(), 2); // schema and stats
    assert.match(await data.innerText(), /1,301,877 rows × 6 columns/);
    const versions = page.getByRole('region', { name: /Versions/ });
    await versions.getByText('(this)').waitFor();
    assert.equal(await versions.getByRole('row').count(), 3);
    // the older version says so, and links to the latest
    await versions.getByRole('link', { name: seeded.transactionsV1.uid.slice(0, 8) }).click();
    await page.getByText('This is an older version.').waitFor();
    await close(page);
  });

  test("shows a run's artifacts, each viewable and downloadable, its inputs and pipeline", async () => {
    const page = await open('/projects/fraud/runs');
    await page.getByRole('link', { name: 'train' }).first().waitFor();
    await page.goto(`${server.url}/projects/fraud/runs/train-0001`);
    const table = page.getByRole('region', { name: 'Artifacts this run logged' });
    await table.getByRole('link', { name: 'classifier', exact: true }).waitFor();
    assert.equal(await table.getByRole('row').count(), 4);
    const roc = table.getByRole('row').filter({ has: page.getByRole('link', { name: 'roc', exact: true }) });
    await roc.getByRole('button', { name: 'View' }).click();
    await page.waitForURL(/view=/);
    await table.getByRole('img', { name: 'Content of roc' }).waitFor();
    const [dl] = await Promise.all([page.waitForEvent('download'), roc.getByRole('link', { name: 'Download roc', exact: true }).click()]);
    assert.equal(dl.suggestedFilename(), 'roc.svg');

    await page.getByRole('link', { name: /^Inputs/ }).click();
    const inputs = page.getByRole('region', { name: 'Artifacts this run read' });
    await inputs.getByRole('link', { name: 'transactions', exact: true }).waitFor();
    await inputs.getByRole('button', { name: 'View' }).first().click();
    await inputs.getByRole('region', { name: /Preview of/ }).waitFor();

    await page.getByRole('link', { name: /^Pipeline/ }).click();
    const pipeline = page.getByRole('region', { name: 'Pipeline nightly' });
    await pipeline.getByRole('link', { name: 'prep' }).waitFor();
    assert.equal(await pipeline.getByRole('listitem').count(), 4);
    await close(page);
  });

  test('draws the lineage graph, with depth and direction in the URL, and navigates from it', async () => {
    const page = await open(`/projects/fraud/models/classifier?tag=v1`);
    await page.getByRole('link', { name: 'Lineage', exact: true }).click();
    await page.waitForURL(/\/lineage\?node=/);
    const graph = page.getByTestId('lineage-graph');
    await page.waitForSelector('[data-testid=lineage-graph][data-ready=true]');
    const count = await graph.evaluate((el) => el._cy.nodes().length);
    assert.equal(count, 8);
    const impact = page.getByRole('region', { name: 'Impact' });
    await impact.getByText('Pipelines: nightly').waitFor();
    assert.match(await impact.innerText(), /artifacts\s*2\s*runs\s*1\s*pipelines\s*1/i);

    // keyboard: focus the graph, move to a neighbour
    await graph.focus();
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL(/selected=/);

    await page.getByRole('radio', { name: 'Upstream' }).check();
    await page.waitForURL(/direction=UPSTREAM/);
    await page.getByLabel('Depth').selectOption('1');
    await page.waitForURL(/depth=1/);
    await page.waitForFunction(() => document.querySelector('[data-testid=lineage-graph]')?._cy?.nodes().length === 4);

    // select a node from the list, then open it
    await page.getByRole('region', { name: /Nodes/ }).getByRole('button', { name: 'train' }).click();
    const card = page.getByRole('region', { name: 'train' });
    await card.getByRole('link', { name: 'Open run' }).click();
    await page.waitForURL(/\/runs\/train-0001$/);
    await page.getByRole('heading', { level: 1, name: /train/ }).waitFor();
    await close(page);
  });

  test('double-clicking a graph node opens its page', async () => {
    const page = await open(`/projects/fraud/lineage?node=${encodeURIComponent('run:fraud/train-0001')}&direction=DOWNSTREAM&depth=1`);
    await page.waitForSelector('[data-testid=lineage-graph][data-ready=true]');
    const pos = await page.getByTestId('lineage-graph').evaluate((el) => {
      const n = el._cy.nodes().filter((x) => x.id().includes('/roc'))[0];
      const p = n.renderedPosition();
      const box = el.getBoundingClientRect();
      return { x: box.x + p.x, y: box.y + p.y };
    });
    await page.mouse.dblclick(pos.x, pos.y);
    await page.waitForURL(/\/artifacts\/roc\?uid=/);
    await close(page);
  });

  test('can be used with the keyboard alone', async () => {
    const page = await open('/');
    await page.getByRole('link', { name: 'churn', exact: true }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    let found = false;
    for (let i = 0; i < 12 && !found; i++) {
      await page.keyboard.press('Tab');
      found = (await page.evaluate(() => document.activeElement?.textContent)) === 'fraud';
    }
    assert.ok(found, 'the fraud project link is reachable with Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/projects\/fraud$/);
    await page.getByRole('heading', { level: 1, name: 'fraud' }).waitFor();
    await close(page);
  });

  test("shows the server's message for errors and missing things", async () => {
    const page = await open('/projects/nope');
    await page.getByText('Project "nope" not found').waitFor();
    await page.goto(`${server.url}/projects/fraud/models/missing`);
    await page.getByText('Artifact version not found').waitFor();
    await page.goto(`${server.url}/projects/nope/lineage?node=store://models/nope/x`);
    const alert = page.getByRole('alert').first();
    await alert.waitFor();
    assert.match(await alert.innerText(), /NOT_FOUND|not/i);
    await close(page);
  });
});

/** Runs the editor's operation (once the editor is up) until the response matches. */
async function runInGraphiQL(page, want) {
  await page.locator('.graphiql-query-editor .monaco-editor .view-lines').waitFor();
  for (let i = 0; i < 20; i++) {
    await page.locator('.graphiql-execute-button').click();
    const ok = await page
      .waitForFunction((re) => new RegExp(re).test(document.querySelector('.graphiql-response')?.textContent ?? ''), want.source, { timeout: 1500 })
      .then(() => true, () => false);
    if (ok) return;
  }
  throw new Error(`GraphiQL's response never matched ${want}`);
}

describe('GraphiQL', () => {
  test('runs a query, explores the schema docs, and has history', async () => {
    const query = '{ projects { name } }';
    const page = await open(`/graphiql?query=${encodeURIComponent(query)}`);
    await runInGraphiQL(page, /"fraud"/);
    assert.match(await page.locator('.graphiql-response').innerText(), /"churn"/);

    await page.locator('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]').click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).first().waitFor();
    await docs.getByText('Query', { exact: true }).first().click();
    await docs.getByText('artifacts', { exact: true }).first().waitFor();
    await page.locator('.graphiql-sidebar button[aria-label="Show History"]').click();
    await page.locator('.graphiql-history').getByText(/projects/).first().waitFor();
    await close(page);
  });

  test('runs subscriptions over graphql-transport-ws', async (t) => {
    const probe = await gql(server.url, '{ __schema { subscriptionType { fields { name } } } }');
    if (!probe.__schema.subscriptionType?.fields.some((f) => f.name === 'artifactLogged')) {
      t.skip('the server has no artifactLogged subscription');
      return;
    }
    const sub = 'subscription { artifactLogged(project: "churn") { key kind } }';
    const page = await open(`/graphiql?query=${encodeURIComponent(sub)}`);
    await page.locator('.graphiql-query-editor .monaco-editor').waitFor();
    const ws = page.waitForEvent('websocket');
    await page.locator('.graphiql-execute-button').click();
    const socket = await ws;
    assert.match(socket.url(), /^ws:\/\/127\.0\.0\.1:\d+\/graphql$/);
    // log until the subscription, which starts asynchronously, sees one
    for (let i = 0; i < 50; i++) {
      await gql(server.url, `mutation { logArtifact(input: {project: "churn", key: "live-${i}", kind: ARTIFACT, body: "x${i}"}) { uri } }`);
      const text = await page.locator('.graphiql-response').textContent();
      if (/live-\d+/.test(text ?? '')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await page.waitForFunction(() => /live-\d+/.test(document.querySelector('.graphiql-response')?.textContent ?? ''));
    await close(page);
  });
});

describe('screenshots', () => {
  const pages = [
    ['projects', '/'],
    ['artifacts-label-search', '/projects/fraud?label=env%3Dprod'],
    ['artifact-model', '/projects/fraud/models/classifier?tag=v1'],
    ['artifact-dataset', '/projects/fraud/datasets/transactions'],
    ['run', '/projects/fraud/runs/train-0001?view=__roc__'],
    ['lineage', `/projects/fraud/lineage?node=${encodeURIComponent('store://models/fraud/classifier:v1')}&selected=${encodeURIComponent('run:fraud/train-0001')}`],
    ['graphiql', '/graphiql'],
  ];
  for (const width of [1280, 390]) {
    test(`every main page at ${width}px`, async () => {
      for (const [name, p] of pages) {
        const path = p.replace('__roc__', seeded.roc.uid);
        const page = await open(path, { width, height: width > 400 ? 900 : 844 });
        if (name === 'lineage') await page.waitForSelector('[data-testid=lineage-graph][data-ready=true]');
        if (name === 'graphiql') {
          await runInGraphiQL(page, /"data"/);
          if (width > 400) {
            await page.locator('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]').click();
            await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().click();
            await page.locator('.graphiql-doc-explorer').getByText('artifacts', { exact: true }).first().waitFor();
          }
        }
        await page.locator('main, .graphiql-container').first().waitFor();
        await shoot(page, name, { stretch: name !== 'lineage' && name !== 'graphiql' });
        // no horizontal scrolling of the page itself
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `${name} at ${width}px scrolls sideways by ${overflow}px`);
        await close(page);
      }
    });
  }
});

describe('manners', () => {
  test('no page logged an error or loaded anything from outside the server', () => {
    // Expected failures are answered with a status, not logged as errors,
    // except the browser's own notice for a 404 the error tests provoke.
    const real = problems.filter((p) => !/Failed to load resource: the server responded with a status of 404/.test(p));
    assert.deepEqual(real, []);
  });
});
