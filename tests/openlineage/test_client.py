"""OpenLineage's own Python client (openlineage-python, its HttpTransport)
sending to Artigraph's POST /api/v1/lineage, then GraphQL reading the runs
and datasets back: a chain extract → transform → train."""

import json
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (column_lineage_dataset, datasource_dataset, ownership_dataset,
                                         parent_run, schema_dataset)
from openlineage.client.transport.http import (ApiKeyTokenProvider, HttpCompression, HttpConfig,
                                               HttpTransport)

PRODUCER = "https://github.com/artigraph/artigraph/tests/openlineage"
NS = "fraud"


def schema(*cols):
    return schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in cols])


SOURCE = InputDataset(namespace="postgres://db:5432", name="shop.public.transactions", facets={
    "dataSource": datasource_dataset.DatasourceDatasetFacet(name="shop", uri="postgres://db:5432/shop"),
    "schema": schema(("id", "INTEGER"), ("amount", "DOUBLE")),
})
RAW = ("s3://lake", "raw/transactions")
FEATURES = ("s3://lake", "features/transactions")
MODEL = ("s3://lake", "models/fraud")


def out(ns_name, **facets):
    return OutputDataset(namespace=ns_name[0], name=ns_name[1], facets=facets)


def inp(ns_name):
    return InputDataset(namespace=ns_name[0], name=ns_name[1])


def chain_events(t0):
    """START and COMPLETE of extract, transform and train, in order."""
    parent = parent_run.ParentRunFacet(run=parent_run.Run(runId=str(uuid.uuid4())),
                                       job=parent_run.Job(namespace=NS, name="nightly"))
    raw_facets = {"schema": schema(("id", "INTEGER"), ("amount", "DOUBLE")),
                  "ownership": ownership_dataset.OwnershipDatasetFacet(
                      owners=[ownership_dataset.Owner(name="team:data", type="TEAM")])}
    feature_facets = {
        "schema": schema(("id", "INTEGER"), ("amount_z", "DOUBLE")),
        "columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet(fields={
            "amount_z": column_lineage_dataset.Fields(inputFields=[column_lineage_dataset.InputField(
                namespace=RAW[0], name=RAW[1], field="amount")], transformationDescription="z-score")}),
    }
    steps = [("extract", [SOURCE], [out(RAW, **raw_facets)]),
             ("transform", [inp(RAW)], [out(FEATURES, **feature_facets)]),
             ("train", [inp(FEATURES)], [out(MODEL)])]
    runs, events = {}, []
    for i, (job, inputs, outputs) in enumerate(steps):
        run_id = str(uuid.uuid4())
        runs[job] = run_id
        for state, minutes, outs in ((RunState.START, 2 * i, []), (RunState.COMPLETE, 2 * i + 1, outputs)):
            events.append(RunEvent(
                eventType=state, eventTime=(t0 + timedelta(minutes=minutes)).isoformat(),
                run=Run(runId=run_id, facets={"parent": parent}), job=Job(namespace=NS, name=job),
                inputs=inputs, outputs=outs, producer=PRODUCER))
    return runs, events


def dataset_uri(server, token, ns_name):
    """The canonical store:// URI of a dataset's latest version, found by its name."""
    data = server.graphql("""query($p: String!, $k: String!) {
        artifacts(project: $p, filter: {keyContains: $k}) { edges { node { uri key } } } }""",
                          {"p": NS, "k": ns_name[1].replace("/", "-")}, token)
    nodes = [e["node"] for e in data["artifacts"]["edges"]]
    assert len(nodes) == 1, nodes
    return nodes[0]["uri"]


def test_chain_through_the_client(server, editor_token, monkeypatch):
    monkeypatch.setenv("OPENLINEAGE_URL", server.url)
    monkeypatch.setenv("OPENLINEAGE_API_KEY", editor_token)
    client = OpenLineageClient()
    assert isinstance(client.transport, HttpTransport)
    runs, events = chain_events(datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc))
    for e in events:
        client.emit(e)

    data = server.graphql("""query($uid: String!) { run(project: "fraud", uid: $uid) {
        uid name state startedAt finishedAt pipeline { id }
        inputs { key kind } outputs { uri key kind owner { name } dataset { schema header } extra } } }""",
                          {"uid": runs["transform"]}, editor_token)
    run = data["run"]
    assert run["name"] == "transform" and run["state"] == "COMPLETED"
    assert run["pipeline"]["id"] == "nightly"
    assert run["startedAt"].startswith("2026-03-01T10:02:00") and run["finishedAt"].startswith("2026-03-01T10:03:00")
    assert [i["kind"] for i in run["inputs"]] == ["DATASET"]
    assert run["inputs"][0]["key"].startswith("s3-lake.raw-transactions-")
    [feat] = run["outputs"]
    assert feat["dataset"]["header"] == ["id", "amount_z"]
    assert "columnLineage" in json.dumps(feat["extra"])

    raw = server.graphql("""query($uid: String!) { run(project: "fraud", uid: $uid) {
        outputs { owner { name } dataset { schema } } } }""", {"uid": runs["extract"]}, editor_token)
    assert raw["run"]["outputs"][0]["owner"]["name"] == "team:data"
    assert raw["run"]["outputs"][0]["dataset"]["schema"]["fields"][1]["name"] == "amount"

    model_uri = dataset_uri(server, editor_token, MODEL)
    g = server.graphql("""query($u: String!) { lineage(uri: $u, direction: UPSTREAM, depth: 10) {
        nodes { id type } edges { from relation to } truncated } }""", {"u": model_uri}, editor_token)["lineage"]
    ids = {n["id"] for n in g["nodes"]}
    for job in ("extract", "transform", "train"):
        assert f"run:fraud/{runs[job]}" in ids
    source = next(n["id"] for n in g["nodes"] if "postgres-db-5432" in n["id"])
    assert {"from": f"run:fraud/{runs['extract']}", "relation": "CONSUMED", "to": source} in g["edges"]

    imp = server.graphql("""query($u: String!) { impact(uri: $u) {
        artifacts { uri } runs { uid name } pipelines { id } } }""", {"u": source}, editor_token)["impact"]
    assert {r["name"] for r in imp["runs"]} == {"extract", "transform", "train"}
    assert model_uri in {a["uri"] for a in imp["artifacts"]}
    assert [p["id"] for p in imp["pipelines"]] == ["nightly"]

    src = server.graphql("""query($u: String!) { artifact(uri: $u) { externalSources } }""",
                         {"u": source}, editor_token)
    assert "postgres://db:5432/shop" in src["artifact"]["externalSources"]


def test_out_of_order_repeated_gzip_transport(server, editor_token):
    """HttpTransport configured in code, with gzip; COMPLETE before START, each twice."""
    transport = HttpTransport(HttpConfig(url=server.url, auth=ApiKeyTokenProvider({"api_key": editor_token}),
                                         compression=HttpCompression.GZIP))
    client = OpenLineageClient(transport=transport)
    runs, events = chain_events(datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc))
    for i in range(0, len(events), 2):
        for e in (events[i + 1], events[i], events[i + 1], events[i]):
            client.emit(e)
    for job, run_id in runs.items():
        run = server.graphql("""query($uid: String!) { run(project: "fraud", uid: $uid) {
            name state finishedAt outputs { key } } }""", {"uid": run_id}, editor_token)["run"]
        assert run["name"] == job and run["state"] == "COMPLETED", run
        assert len(run["outputs"]) == 1, run
    versions = server.graphql("""{ artifacts(project: "fraud") { totalCount } }""", None, editor_token)
    assert versions["artifacts"]["totalCount"] == 4  # the source, raw, features, model: once each


def test_consumers_before_producers(server, editor_token):
    """The chain's events sent last first, one request each: each run still reads what the
    run before it wrote, starts at its START and no placeholder is left."""
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(
        url=server.url, auth=ApiKeyTokenProvider({"api_key": editor_token}))))
    t0 = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
    runs, events = chain_events(t0)
    for e in reversed(events):
        client.emit(e)
    query = """query($uid: String!) { run(project: "fraud", uid: $uid) {
        startedAt finishedAt inputs { key run { uid } } outputs { key } } }"""
    for i, (job, upstream) in enumerate((("transform", "extract"), ("train", "transform")), start=1):
        run = server.graphql(query, {"uid": runs[job]}, editor_token)["run"]
        assert run["startedAt"] == (t0 + timedelta(minutes=2 * i)).isoformat().replace("+00:00", "Z"), run
        assert [x["run"]["uid"] for x in run["inputs"]] == [runs[upstream]], run
    versions = server.graphql("""{ artifacts(project: "fraud") { totalCount edges { node { extra } } } }""",
                              None, editor_token)["artifacts"]
    assert versions["totalCount"] == 4, versions  # the source (a placeholder: nobody writes it), raw, features, model
    assert sum("placeholder" in json.dumps(e["node"]["extra"]) for e in versions["edges"]) == 1, versions


def test_needs_an_api_key(server, editor_token):
    _, events = chain_events(datetime(2026, 3, 3, tzinfo=timezone.utc))
    bare = HttpTransport(HttpConfig(url=server.url))
    with pytest.raises(requests.HTTPError) as err:
        bare.emit(events[0])
    assert err.value.response.status_code == 401
    wrong = HttpTransport(HttpConfig(url=server.url, auth=ApiKeyTokenProvider({"api_key": "agt_nope_nope"})))
    with pytest.raises(requests.HTTPError) as err:
        wrong.emit(events[0])
    assert err.value.response.status_code == 401
    # An EDITOR of "fraud" may not write another namespace's project.
    other = RunEvent(eventType=RunState.START, eventTime=datetime.now(timezone.utc).isoformat(),
                     run=Run(runId=str(uuid.uuid4())), job=Job(namespace="payments", name="x"), producer=PRODUCER)
    ok = HttpTransport(HttpConfig(url=server.url, auth=ApiKeyTokenProvider({"api_key": editor_token})))
    with pytest.raises(requests.HTTPError) as err:
        ok.emit(other)
    assert err.value.response.status_code == 403
    assert ok.emit(events[0]).status_code == 201


def test_malformed_event_is_400_naming_the_field(server, editor_token):
    body = json.dumps([{"eventType": "START", "eventTime": "2026-03-01T10:00:00Z", "producer": PRODUCER,
                        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                        "run": {"runId": "not-a-uuid"}, "job": {"namespace": NS, "name": "x"}}]).encode()
    req = urllib.request.Request(server.url + "/api/v1/lineage", data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {editor_token}"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 400
    assert "events[0].run.runId" in json.load(err.value)["error"]
