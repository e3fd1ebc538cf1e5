"""MLRun's own client, pointed at Artigraph with MLRUN_DBPATH and nothing
else, as a user drives it: projects, artifacts of every common kind, the
list filters, tags, deletion strategies and a local run whose lineage then
shows in Artigraph's GraphQL API."""

import json
import os
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def mlrun(mlrun_env):
    """The mlrun module, configured afresh from the environment: each test
    has its own server, and MLRun keeps its configuration and connection
    in process-wide state."""
    import mlrun as m
    import mlrun.datastore
    import mlrun.db.factory
    import mlrun.runtimes.utils

    m.mlconf.reload()
    m.mlconf.artifact_path = ""
    m.mlconf.dbpath = mlrun_env.url
    factory = mlrun.db.factory.RunDBFactory()
    factory._last_db_url, factory._run_db = None, None
    mlrun.datastore.store_manager._db, mlrun.datastore.store_manager._stores = None, {}
    mlrun.runtimes.utils.global_context.set(None)  # a local run's context outlives it
    return m


@pytest.fixture
def project(mlrun, tmp_path):
    return mlrun.get_or_create_project("demo", context=str(tmp_path / "ctx"))


def graphql(server, query, **variables):
    req = urllib.request.Request(server.url + "/graphql", method="POST",
                                 data=json.dumps({"query": query, "variables": variables}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        out = json.load(r)
    assert "errors" not in out, out
    return out["data"]


def rest(server, method, path):
    """A raw call, to check what the client hides: status and body."""
    req = urllib.request.Request(server.url + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


VERSION = """query($uri: String!) { artifact(uri: $uri) {
  uri key kind uid iteration tree tags targetPath size
  labels { key value } producer { kind name uri }
  run { uid name state }
  dataset { header length } model { modelFile metrics parameters }
} }"""


def test_connect_gives_the_servers_artifact_path_and_creates_the_project(mlrun, mlrun_env, tmp_path):
    p = mlrun.get_or_create_project("demo", context=str(tmp_path / "ctx"))
    assert p.name == "demo"
    # client-spec told the client where this server keeps content.
    assert mlrun.mlconf.artifact_path == f"{mlrun_env.data_dir}/artifacts/{{{{project}}}}"
    data = graphql(mlrun_env, "{ projects { name } }")
    assert {"name": "demo"} in data["projects"]
    # A second get_or_create loads the same project from the server.
    again = mlrun.get_or_create_project("demo", context=str(tmp_path / "ctx2"))
    assert again.name == "demo"
    assert mlrun.get_run_db().get_project("demo").name == "demo"
    assert "demo" in mlrun.get_run_db().list_projects()


def test_log_artifact_file_then_read_it_back(mlrun, mlrun_env, project, tmp_path):
    src = tmp_path / "greeting.txt"
    src.write_text("hello artigraph")
    a = project.log_artifact("greeting", local_path=str(src), labels={"team": "nlp"}, tag="v1")
    # The client wrote the file into the project's artifact path on the server.
    target = Path(a.target_path)
    assert target.is_relative_to(Path(mlrun_env.data_dir) / "artifacts" / "demo")
    assert target.read_text() == "hello artigraph"
    assert a.uri.startswith("store://artifacts/demo/greeting")

    got = project.get_artifact("greeting")
    assert got.labels == {"team": "nlp"}
    assert got.target_path == a.target_path
    assert got.uid == a.uid
    assert project.get_artifact("greeting", tag="v1").uid == a.uid
    assert project.get_store_resource(f"store://artifacts/demo/greeting:v1").uid == a.uid
    assert mlrun.get_dataitem(a.uri).get() == b"hello artigraph"
    assert mlrun.get_dataitem("store://artifacts/demo/greeting").get(encoding="utf-8") == "hello artigraph"

    # Artigraph's own API sees the same version, as data in place.
    v = graphql(mlrun_env, VERSION, uri="store://artifacts/demo/greeting:v1")["artifact"]
    assert v["uid"] == a.uid and v["kind"] == "ARTIFACT"
    assert set(v["tags"]) == {"latest", "v1"}
    assert v["labels"] == [{"key": "team", "value": "nlp"}]
    assert v["targetPath"] == a.target_path
    assert v["size"] == len("hello artigraph")
    assert v["producer"]["kind"] == "project"
    # and serves its content.
    with urllib.request.urlopen(f"{mlrun_env.url}/api/v1/artifacts/demo/{a.uid}/content") as r:
        assert r.read() == b"hello artigraph"


def test_log_dataset_and_model(mlrun, mlrun_env, project):
    df = pd.DataFrame({"x": [1, 2, 3], "y": [0.5, 1.5, 2.5]})
    ds = project.log_dataset("table", df=df, format="parquet", labels={"src": "unit"})
    assert ds.uri.startswith("store://datasets/demo/table")
    pd.testing.assert_frame_equal(mlrun.get_dataitem(ds.uri).as_df(), df)
    got = project.get_artifact("table")
    assert got.kind == "dataset"
    assert [c for c in got.spec.header if c != "index"] == ["x", "y"]
    assert got.spec.length == 3

    m = project.log_model("clf", body=b"pickled", model_file="model.pkl", framework="sklearn",
                          metrics={"accuracy": 0.93}, parameters={"depth": 4},
                          extra_data={"notes": b"trained on unit data"}, labels={"owner": "ml"})
    assert m.uri.startswith("store://models/demo/clf")
    model = project.get_artifact("clf")
    assert model.kind == "model"
    assert model.metrics == {"accuracy": 0.93}
    assert model.parameters == {"depth": 4}
    assert model.model_file == "model.pkl"
    assert "notes" in model.extra_data
    assert model.labels["owner"] == "ml"
    # The model file and its extra data were written where the server serves them.
    assert (Path(model.target_path) / "model.pkl").read_bytes() == b"pickled"

    v = graphql(mlrun_env, VERSION, uri=m.uri)["artifact"]
    assert v["kind"] == "MODEL"
    assert v["model"]["metrics"] == {"accuracy": 0.93}
    assert v["model"]["parameters"] == {"depth": 4}
    d = graphql(mlrun_env, VERSION, uri=ds.uri)["artifact"]
    assert d["kind"] == "DATASET" and d["dataset"]["header"] == got.spec.header and d["dataset"]["length"] == 3


def keys(artifacts):
    return sorted(a["metadata"]["key"] for a in artifacts)


def test_list_artifacts_filters_and_paging(mlrun, mlrun_env, project, tmp_path):
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    for i in range(5):
        f = tmp_path / f"f{i}.txt"
        f.write_text(f"file {i}")
        project.log_artifact(f"file-{i}", local_path=str(f), labels={"parity": "even" if i % 2 == 0 else "odd"},
                             tag="first" if i == 0 else None)
    project.log_dataset("data", df=pd.DataFrame({"a": [1]}))
    project.log_model("model", body=b"m", model_file="m.bin")
    after = datetime.now(timezone.utc) + timedelta(seconds=1)

    assert len(project.list_artifacts()) == 7
    assert keys(project.list_artifacts(name="file-3")) == ["file-3"]
    assert keys(project.list_artifacts(name="~FILE")) == [f"file-{i}" for i in range(5)]
    assert keys(project.list_artifacts(tag="first")) == ["file-0"]
    assert project.list_artifacts(tag="first")[0]["metadata"]["tag"] == "first"
    assert keys(project.list_artifacts(labels={"parity": "odd"})) == ["file-1", "file-3"]
    assert keys(project.list_artifacts(labels=["parity=even"])) == ["file-0", "file-2", "file-4"]
    assert keys(project.list_artifacts(labels="parity")) == [f"file-{i}" for i in range(5)]
    assert keys(project.list_artifacts(kind="model")) == ["model"]
    assert keys(project.list_artifacts(category="dataset")) == ["data"]
    assert keys(project.list_artifacts(category="other")) == [f"file-{i}" for i in range(5)]
    assert len(project.list_artifacts(iter=0)) == 7
    assert project.list_artifacts(iter=1) == []
    assert len(project.list_artifacts(best_iteration=True)) == 7
    assert len(project.list_artifacts(since=before, until=after)) == 7
    assert project.list_artifacts(since=after) == []
    tree = project.get_artifact("data").tree
    assert keys(project.list_artifacts(tree=tree)) == ["data"]
    assert [m.key for m in project.list_models()] == ["model"]

    # MLRun's paging: pages of 3, then the token for the rest.
    page1, token = project.paginated_list_artifacts(page=1, page_size=3)
    assert len(page1) == 3 and token
    page2, token2 = project.paginated_list_artifacts(page_token=token)
    assert len(page2) == 3 and token2
    page3, token3 = project.paginated_list_artifacts(page_token=token2)
    assert len(page3) == 1 and token3 is None
    seen = keys(page1) + keys(page2) + keys(page3)
    assert sorted(seen) == keys(project.list_artifacts())
    second, _ = project.paginated_list_artifacts(page=2, page_size=3)
    assert keys(second) == keys(page2)


def test_tag_and_untag_artifacts(mlrun, mlrun_env, project, tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("one")
    first = project.log_artifact("doc", local_path=str(f))
    f.write_text("two")
    second = project.log_artifact("doc", local_path=str(f))
    assert first.uid != second.uid
    assert project.get_artifact("doc").uid == second.uid

    db = mlrun.get_run_db()
    db.tag_artifacts(project.get_artifact("doc", uid=first.uid), "demo", "prod")
    assert project.get_artifact("doc", tag="prod").uid == first.uid
    assert keys(project.list_artifacts(tag="prod")) == ["doc"]
    # A tag names one version of a key: tagging the other moves it.
    db.tag_artifacts(project.get_artifact("doc", uid=second.uid), "demo", "prod", replace=True)
    assert project.get_artifact("doc", tag="prod").uid == second.uid
    db.delete_artifacts_tags(project.get_artifact("doc", uid=second.uid), "demo", "prod")
    assert project.list_artifacts(tag="prod") == []
    with pytest.raises(mlrun.errors.MLRunNotFoundError):
        project.get_artifact("doc", tag="prod")
    assert len(project.list_artifacts(name="doc", tag="*")) == 2


def test_delete_artifact_strategies(mlrun, mlrun_env, project, tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("keep me")
    kept = project.log_artifact("kept", local_path=str(f))
    project.delete_artifact(kept, deletion_strategy="metadata-only")
    assert Path(kept.target_path).exists()  # metadata-only never touches data
    with pytest.raises(mlrun.errors.MLRunNotFoundError):
        project.get_artifact("kept")

    f.write_text("remove me")
    gone = project.log_artifact("gone", local_path=str(f))
    assert Path(gone.target_path).exists()
    project.delete_artifact(gone, deletion_strategy="data-force")
    # The client wrote this file inside the project's artifact path and no
    # other version points at it: data-force removes it.
    assert not Path(gone.target_path).exists()
    assert project.list_artifacts(name="gone", tag="*") == []

    f.write_text("optional")
    opt = project.log_artifact("opt", local_path=str(f))
    project.delete_artifact(opt, deletion_strategy="data-optional")
    assert not Path(opt.target_path).exists()

    # A file outside the project's artifact path (logged in place, never
    # uploaded) is somebody else's: it is kept whatever the strategy.
    outside = tmp_path / "mine.csv"
    outside.write_text("a\n1\n")
    ext = project.log_artifact("external", target_path=str(outside), upload=False)
    project.delete_artifact(ext, deletion_strategy="data-force")
    assert outside.read_text() == "a\n1\n"
    assert project.list_artifacts(name="external", tag="*") == []

    # Two versions pointing at one file: deleting one keeps the file.
    shared = tmp_path / "shared.txt"
    shared.write_text("shared")
    s1 = project.log_artifact("shared", local_path=str(shared), tag="one")
    s2 = project.log_artifact("shared-copy", target_path=s1.target_path, upload=False)
    project.delete_artifact(s1, deletion_strategy="data-force")
    assert Path(s1.target_path).read_text() == "shared"
    assert project.get_artifact("shared-copy").uid == s2.uid
    project.delete_artifact(project.get_artifact("shared-copy"), deletion_strategy="data-force")
    assert not Path(s1.target_path).exists()

    with pytest.raises(mlrun.errors.MLRunBadRequestError):
        mlrun.get_run_db().del_artifact("kept2", project="demo", deletion_strategy="data-everything")


def test_local_run_records_inputs_and_outputs(mlrun, mlrun_env, project):
    raw = project.log_dataset("raw", df=pd.DataFrame({"v": [1, 2, 3, 4]}))
    project.set_function(str(HERE / "handlers.py"), name="summarize", kind="job", image="mlrun/mlrun",
                         handler="summarize")
    run = project.run_function("summarize", inputs={"data": raw.uri}, local=True)
    assert run.state() == "completed"
    assert run.outputs["rows"] == 4
    uid = run.uid()
    doubled_uri = run.outputs["summarize-summarize_doubled"]
    report_uri = run.outputs["summarize-summarize_report"]
    pd.testing.assert_frame_equal(mlrun.get_dataitem(doubled_uri).as_df(), pd.DataFrame({"v": [2, 4, 6, 8]}))
    assert mlrun.get_dataitem(report_uri).get(encoding="utf-8") == "4 rows\n"

    # MLRun's client reads the run back from the server.
    stored = mlrun.get_run_db().read_run(uid, project="demo")
    assert stored["status"]["state"] == "completed"
    assert stored["spec"]["inputs"]["raw"].startswith("store://datasets/demo/raw")
    assert uid in [r["metadata"]["uid"] for r in mlrun.get_run_db().list_runs(project="demo")]

    q = """query($uid: String!) { run(project: "demo", uid: $uid) {
      uid name state finishedAt inputs { key uid } outputs { key uid kind labels { key value } } } }"""
    r = graphql(mlrun_env, q, uid=uid)["run"]
    assert r["state"] == "COMPLETED" and r["finishedAt"]
    assert r["name"] == "summarize-summarize"
    assert r["inputs"] == [{"key": "raw", "uid": raw.uid}]
    outs = {o["key"]: o for o in r["outputs"]}
    assert set(outs) == {"summarize-summarize_doubled", "summarize-summarize_report"}
    assert outs["summarize-summarize_doubled"]["kind"] == "DATASET"
    assert {"key": "stage", "value": "derived"} in outs["summarize-summarize_doubled"]["labels"]

    v = graphql(mlrun_env, VERSION, uri=doubled_uri)["artifact"]
    assert v["run"] == {"uid": uid, "name": "summarize-summarize", "state": "COMPLETED"}
    assert v["producer"] == {"kind": "run", "name": "summarize-summarize", "uri": f"demo/{uid}"}
    assert v["tree"] == uid

    up = graphql(mlrun_env, """query($uri: String!) { lineage(uri: $uri, direction: UPSTREAM) {
      nodes { id type artifact { key } run { uid } } edges { from to relation } } }""", uri=doubled_uri)["lineage"]
    assert any(n["run"] and n["run"]["uid"] == uid for n in up["nodes"])
    assert any(n["artifact"] and n["artifact"]["key"] == "raw" for n in up["nodes"])
    rels = {e["relation"] for e in up["edges"]}
    assert {"PRODUCED", "CONSUMED"} <= rels

    impact = graphql(mlrun_env, """query($uri: String!) { impact(uri: $uri) {
      artifacts { key } runs { uid } } }""", uri=raw.uri)["impact"]
    assert {"summarize-summarize_doubled", "summarize-summarize_report"} <= {a["key"] for a in impact["artifacts"]}
    assert [x["uid"] for x in impact["runs"]] == [uid]


def test_get_or_create_ctx_records_a_run(mlrun, mlrun_env, project, tmp_path, monkeypatch):
    # With upload_artifacts, the context writes into the server's artifact path.
    ctx = mlrun.get_or_create_ctx("notebook-job", project="demo", upload_artifacts=True)
    ctx.log_artifact("note", body="written in a context", format="txt")
    ctx.commit(completed=True)
    assert mlrun.get_run_db().read_run(ctx.uid, project="demo")["status"]["state"] == "completed"
    note = project.get_artifact("notebook-job_note")
    assert note.tree == ctx.uid
    assert Path(note.target_path).is_relative_to(Path(mlrun_env.data_dir) / "artifacts" / "demo")
    assert mlrun.get_dataitem(note.uri).get(encoding="utf-8") == "written in a context"
    r = graphql(mlrun_env, """query($uid: String!) { run(project: "demo", uid: $uid) {
      name state outputs { key } } }""", uid=ctx.uid)["run"]
    assert r == {"name": "notebook-job", "state": "COMPLETED", "outputs": [{"key": "notebook-job_note"}]}

    # Without it, MLRun's context writes to a path relative to the client's
    # working directory, which no one else can read: refused, with MLRun's 400.
    mlrun.runtimes.utils.global_context.set(None)
    monkeypatch.chdir(tmp_path)
    bare = mlrun.get_or_create_ctx("bare-job", project="demo")
    with pytest.raises(mlrun.errors.MLRunBadRequestError, match="absolute path"):
        bare.log_artifact("note", body="nowhere", format="txt")
    assert project.list_artifacts(name="bare-job_note", tag="*") == []


def test_errors_take_mlruns_shape(mlrun, mlrun_env, project):
    with pytest.raises(mlrun.errors.MLRunNotFoundError):
        project.get_artifact("missing")
    with pytest.raises(OSError, match="not found"):
        mlrun.get_dataitem("store://artifacts/demo/missing").get()
    status, body = rest(mlrun_env, "GET", "/api/v2/projects/demo/artifacts/missing")
    assert status == 404 and "detail" in body
    status, body = rest(mlrun_env, "GET", "/api/v1/projects/nope")
    assert status == 404 and "nope" in body["detail"]
    with pytest.raises(mlrun.errors.MLRunConflictError):
        mlrun.get_run_db().create_project(mlrun.new_project("demo", save=False))


def test_features_artigraph_has_no_meaning_for_answer_as_off(mlrun, mlrun_env, project):
    db = mlrun.get_run_db()
    assert db.list_functions(project="demo") == []
    assert not project.list_functions()  # MLRun's client says None for none
    status, body = rest(mlrun_env, "GET", "/api/v1/projects/demo/schedules")
    assert status == 200 and body == {"schedules": []}
    status, body = rest(mlrun_env, "GET", "/api/v1/projects/demo/alerts")
    assert status == 200 and body == {"alerts": []}
    # Artigraph keeps runs and projects as history.
    with pytest.raises(mlrun.errors.MLRunBadRequestError, match="not supported"):
        db.del_run("0123", project="demo")
    status, body = rest(mlrun_env, "GET", "/api/v1/no-such-route")
    assert status == 404 and body == {"detail": "Not Found"}


def test_the_clients_token_is_the_callers(token_server, tmp_path, monkeypatch):
    """MLRUN_HTTPDB__TOKEN travels as a bearer token; without it, a server
    with --auth token refuses the client with MLRun's 401."""
    from conftest import ADMIN_TOKEN
    import mlrun as m
    import mlrun.datastore
    import mlrun.db.factory

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("MLRUN_DBPATH", token_server.url)

    def connect():
        m.mlconf.reload()
        m.mlconf.artifact_path = ""
        m.mlconf.dbpath = token_server.url
        factory = mlrun.db.factory.RunDBFactory()
        factory._last_db_url, factory._run_db = None, None
        mlrun.datastore.store_manager._db, mlrun.datastore.store_manager._stores = None, {}

    connect()
    with pytest.raises(m.errors.MLRunUnauthorizedError):
        m.get_run_db().get_project("secure")

    monkeypatch.setenv("MLRUN_HTTPDB__TOKEN", ADMIN_TOKEN)
    connect()
    p = m.get_or_create_project("secure", context=str(tmp_path / "ctx"))
    f = tmp_path / "s.txt"
    f.write_text("secret")
    a = p.log_artifact("s", local_path=str(f))
    assert m.get_dataitem(a.uri).get() == b"secret"
    assert p.get_artifact("s").uid == a.uid

    # Tokens Artigraph made: a viewer of the project reads, and may not write.
    def new_token(role):
        req = urllib.request.Request(token_server.url + "/graphql", method="POST", data=json.dumps({
            "query": "mutation($in: TokenInput!) { createToken(input: $in) { token } }",
            "variables": {"in": {"name": role.lower(), "role": role, "projects": ["secure"]}}}).encode(),
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + ADMIN_TOKEN})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)["data"]["createToken"]["token"]

    monkeypatch.setenv("MLRUN_HTTPDB__TOKEN", new_token("VIEWER"))
    connect()
    viewer = m.get_run_db()
    assert viewer.read_artifact("s", project="secure")["metadata"]["uid"] == a.uid
    with pytest.raises(m.errors.MLRunAccessDeniedError):
        viewer.store_artifact("s2", {"kind": "artifact", "metadata": {"key": "s2"}, "spec": {"body": "x"}},
                              project="secure")
    monkeypatch.setenv("MLRUN_HTTPDB__TOKEN", new_token("EDITOR"))
    connect()
    editor = m.get_run_db()
    stored = editor.store_artifact("s2", {"kind": "artifact", "metadata": {"key": "s2"}, "spec": {"body": "x"}},
                                   project="secure")
    assert editor.read_artifact("s2", project="secure")["metadata"]["uid"] == stored["metadata"]["uid"]
