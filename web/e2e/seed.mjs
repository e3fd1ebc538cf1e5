// Seeds a running Artigraph server with a realistic story over its GraphQL
// API, for the end-to-end tests and for trying the UI by hand:
//
//   node e2e/seed.mjs http://127.0.0.1:8080
//
// Project "fraud": a raw `transactions` dataset (env=prod, two versions, with
// preview, schema and stats); a nightly pipeline whose `prep` run derives a
// `features` dataset, whose `train` run reads the data and logs a `roc` PLOT
// (SVG), a `confusion` PLOT (HTML) and a `classifier` MODEL (metrics,
// parameters, a chart link to `roc`), and whose `evaluate` run logs a report;
// feature-store objects; a failed run. Project "churn": a second, smaller one.

export async function gql(url, query, variables = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) {
    throw new Error(`GraphQL error: ${body.errors.map((e) => e.message).join('; ')}`);
  }
  return body.data;
}

const LOG = `mutation Log($input: LogArtifactInput!) {
  logArtifact(input: $input) { uri uid key kind downloadUrl }
}`;

async function log(url, input) {
  return (await gql(url, LOG, { input })).logArtifact;
}

async function startRun(url, input) {
  return (await gql(url, `mutation($input: StartRunInput!) { startRun(input: $input) { uid } }`, { input })).startRun;
}

async function finishRun(url, project, uid, state = 'COMPLETED') {
  await gql(url, `mutation($p: String!, $u: String!, $s: RunState!) { finishRun(project: $p, uid: $u, state: $s) { uid } }`, {
    p: project,
    u: uid,
    s: state,
  });
}

/** An ROC curve as a small standalone SVG. */
export function rocSvg(auc = 0.91) {
  const pts = [];
  for (let i = 0; i <= 20; i++) {
    const x = i / 20;
    const y = 1 - Math.pow(1 - x, 1 / (1 - auc) - 0.6);
    pts.push(`${(40 + x * 240).toFixed(1)},${(260 - Math.min(1, y) * 240).toFixed(1)}`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 300" width="300" height="300" font-family="sans-serif" font-size="11">
<rect width="300" height="300" fill="#fff"/>
<path d="M40 20V260H280" stroke="#333" fill="none"/>
<path d="M40 260L280 20" stroke="#bbb" stroke-dasharray="4 4"/>
<polyline points="${pts.join(' ')}" fill="none" stroke="#d9480f" stroke-width="2.5"/>
<text x="160" y="290" text-anchor="middle">False positive rate</text>
<text x="12" y="140" text-anchor="middle" transform="rotate(-90 12 140)">True positive rate</text>
<text x="200" y="230" fill="#d9480f">AUC = ${auc}</text>
</svg>`;
}

const confusionHtml = `<!doctype html><html><body style="font-family:sans-serif">
<table border="1" cellpadding="6" style="border-collapse:collapse"><caption>Confusion matrix</caption>
<tr><th></th><th>pred legit</th><th>pred fraud</th></tr>
<tr><th>legit</th><td>9412</td><td>88</td></tr><tr><th>fraud</th><td>41</td><td>459</td></tr></table></body></html>`;

const rows = [
  [1, '2025-11-02T08:15:00Z', 'c-1001', 9.5, 'grocery', false],
  [2, '2025-11-02T08:16:10Z', 'c-2044', 120.0, 'electronics', false],
  [3, '2025-11-02T08:17:42Z', 'c-1001', 4999.99, 'jewelry', true],
  [4, '2025-11-02T08:20:05Z', 'c-3310', 32.1, 'fuel', false],
  [5, '2025-11-02T08:21:30Z', 'c-0420', 15.75, 'restaurants', false],
  [6, '2025-11-02T08:22:12Z', 'c-2044', 860.0, 'travel', true],
];
const header = ['id', 'ts', 'customer', 'amount', 'category', 'is_fraud'];
const csv = (rs) => [header.join(','), ...rs.map((r) => r.join(','))].join('\n') + '\n';

export async function seed(url) {
  const out = {};
  await gql(
    url,
    `mutation {
      fraud: upsertProject(input: {name: "fraud", description: "Card-fraud detection: nightly training on transaction data", labels: [{key: "team", value: "risk"}]}) { name }
      churn: upsertProject(input: {name: "churn", description: "Customer churn prediction", labels: [{key: "team", value: "growth"}]}) { name }
    }`,
  );

  const datasetMeta = {
    header,
    length: 1_284_113,
    preview: rows.slice(0, 5),
    schema: {
      fields: [
        { name: 'id', type: 'integer' },
        { name: 'ts', type: 'datetime' },
        { name: 'customer', type: 'string' },
        { name: 'amount', type: 'number' },
        { name: 'category', type: 'string' },
        { name: 'is_fraud', type: 'boolean' },
      ],
      primaryKey: 'id',
    },
    stats: {
      amount: { count: 1284113, mean: 88.4, std: 231.9, min: 0.5, max: 25000 },
      id: { count: 1284113, min: 1, max: 1284113 },
      is_fraud: { count: 1284113, mean: 0.0049 },
    },
  };
  out.transactionsV1 = await log(url, {
    project: 'fraud', key: 'transactions', kind: 'DATASET', format: 'csv', body: csv(rows.slice(0, 5)),
    description: 'Card transactions from the payments stream, one row per authorisation.',
    labels: [{ key: 'env', value: 'prod' }, { key: 'source', value: 'kafka' }, { key: 'pii' }],
    sources: ['s3://payments-lake/raw/2025-11-02/'],
    dataset: datasetMeta,
  });

  await startRun(url, {
    project: 'fraud', name: 'prep', uid: 'prep-0001', user: 'ana', pipeline: 'nightly',
    labels: [{ key: 'schedule', value: 'daily' }], inputs: [out.transactionsV1.uri],
  });
  out.features = await log(url, {
    project: 'fraud', key: 'features', kind: 'DATASET', runUid: 'prep-0001', format: 'parquet',
    body: 'PAR1 features', labels: [{ key: 'env', value: 'prod' }], sources: [out.transactionsV1.uri],
    dataset: { header: ['customer', 'txn_24h', 'amount_avg_7d'], length: 48211, preview: [['c-1001', 2, 52.3], ['c-2044', 5, 310.4]] },
  });
  out.summary = await log(url, {
    project: 'fraud', key: 'feature-summary', kind: 'TABLE', runUid: 'prep-0001', format: 'csv',
    body: 'feature,missing\ntxn_24h,0\namount_avg_7d,12\n', labels: [{ key: 'env', value: 'prod' }],
  });
  await finishRun(url, 'fraud', 'prep-0001');

  await startRun(url, {
    project: 'fraud', name: 'train', uid: 'train-0001', user: 'ana', pipeline: 'nightly',
    labels: [{ key: 'schedule', value: 'daily' }, { key: 'gpu' }],
    inputs: ['store://datasets/fraud/transactions', out.features.uri],
  });
  out.roc = await log(url, {
    project: 'fraud', key: 'roc', kind: 'PLOT', runUid: 'train-0001', format: 'svg', body: rocSvg(0.91),
    description: 'ROC curve on the hold-out set',
  });
  out.confusion = await log(url, {
    project: 'fraud', key: 'confusion', kind: 'PLOT', runUid: 'train-0001', format: 'html', body: confusionHtml,
  });
  out.model = await log(url, {
    project: 'fraud', key: 'classifier', kind: 'MODEL', runUid: 'train-0001', tag: 'v1', format: 'pkl',
    body: 'gradient-boosted weights', labels: [{ key: 'env', value: 'prod' }, { key: 'framework', value: 'xgboost' }],
    description: 'Gradient-boosted fraud classifier',
    sources: ['store://datasets/fraud/transactions', out.features.uri],
    links: [{ relation: 'chart', uri: 'store://artifacts/fraud/roc' }, { relation: 'chart', uri: 'store://artifacts/fraud/confusion' }],
    model: {
      modelFile: 'model.pkl', framework: 'xgboost', algorithm: 'XGBClassifier',
      metrics: { auc: 0.91, accuracy: 0.987, precision: 0.839, recall: 0.918, f1: 0.877 },
      parameters: { max_depth: 6, n_estimators: 400, learning_rate: 0.05, subsample: 0.8 },
    },
  });
  await finishRun(url, 'fraud', 'train-0001');

  await startRun(url, {
    project: 'fraud', name: 'evaluate', uid: 'eval-0001', user: 'bo', pipeline: 'nightly', inputs: [out.model.uri],
  });
  out.report = await log(url, {
    project: 'fraud', key: 'eval-report', kind: 'DOCUMENT', runUid: 'eval-0001', format: 'md',
    body: '# Evaluation\n\nAUC 0.91 on November hold-out.\n', sources: [out.model.uri],
  });
  out.predictions = await log(url, {
    project: 'fraud', key: 'predictions', kind: 'ARTIFACT', runUid: 'eval-0001', format: 'csv',
    body: 'id,score\n1,0.01\n3,0.97\n', labels: [{ key: 'env', value: 'staging' }],
  });
  await finishRun(url, 'fraud', 'eval-0001');

  await startRun(url, { project: 'fraud', name: 'train', uid: 'train-0002', user: 'bo', pipeline: 'nightly', inputs: [out.features.uri] });
  await finishRun(url, 'fraud', 'train-0002', 'FAILED');

  out.featureSet = await log(url, {
    project: 'fraud', key: 'card-activity', kind: 'FEATURE_SET', body: '{"entities":["customer"]}', format: 'json',
    labels: [{ key: 'env', value: 'prod' }], sources: [out.features.uri],
  });
  out.vector = await log(url, {
    project: 'fraud', key: 'fraud-vector', kind: 'FEATURE_VECTOR', body: '{"features":["card-activity.*"]}', format: 'json',
    sources: [out.featureSet.uri],
  });

  // A newer version of the raw data: `latest` moves, the run's input stays v1.
  out.transactions = await log(url, {
    project: 'fraud', key: 'transactions', kind: 'DATASET', format: 'csv', body: csv(rows),
    labels: [{ key: 'env', value: 'prod' }, { key: 'source', value: 'kafka' }, { key: 'pii' }],
    description: 'Card transactions from the payments stream, one row per authorisation.',
    dataset: { ...datasetMeta, length: 1_301_877, preview: rows },
  });

  out.customers = await log(url, {
    project: 'churn', key: 'customers', kind: 'DATASET', format: 'csv', body: 'id,tenure\n1,12\n2,3\n',
    labels: [{ key: 'env', value: 'staging' }], dataset: { header: ['id', 'tenure'], length: 2, preview: [[1, 12], [2, 3]] },
  });
  await startRun(url, { project: 'churn', name: 'train', uid: 'churn-train-1', user: 'cy', inputs: [out.customers.uri] });
  out.churnModel = await log(url, {
    project: 'churn', key: 'churn-model', kind: 'MODEL', runUid: 'churn-train-1', body: 'w', format: 'pkl',
    sources: [out.customers.uri], model: { framework: 'sklearn', algorithm: 'LogisticRegression', metrics: { auc: 0.78 } },
  });
  await finishRun(url, 'churn', 'churn-train-1');
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.argv[2] ?? 'http://127.0.0.1:8080';
  const out = await seed(url);
  for (const [name, v] of Object.entries(out)) console.log(`${name.padEnd(16)} ${v.uri}`);
}
