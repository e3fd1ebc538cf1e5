"""Artigraph's store:// URIs, read and written by MLRun's own code.

Every URI the GraphQL API returns must parse with MLRun's parsers
(parse_store_uri, then parse_artifact_uri or, for feature sets and vectors,
parse_versioned_object_uri) to the version's project, key, iteration, tag,
tree and uid; every URI MLRun's generators write (generate_artifact_uri,
generate_object_uri, get_artifact_target) must resolve in Artigraph to the
version it names; and a returned URI must keep naming its version after a
newer version takes `latest`.
"""

import json
import urllib.error
import urllib.request

import pytest
from mlrun.common.helpers import parse_versioned_object_uri
from mlrun.datastore import get_store_uri
from mlrun.datastore.store_resources import parse_store_uri
from mlrun.utils.helpers import (
    generate_artifact_uri,
    generate_object_uri,
    get_artifact_target,
    parse_artifact_uri,
)

P = "p"
VERSION_FIELDS = "uri uid project key kind iteration tree tags"
PREFIX = {
    "MODEL": "models",
    "DATASET": "datasets",
    "DOCUMENT": "documents",
    "FEATURE_SET": "feature-sets",
    "FEATURE_VECTOR": "feature-vectors",
}
OBJECT_KINDS = {"FEATURE_SET", "FEATURE_VECTOR"}
# get_artifact_target's kinds (MLRun's ArtifactCategories plus "artifact").
TARGET_KIND = {"MODEL": "model", "DATASET": "dataset", "ARTIFACT": "artifact"}


def prefix_of(kind):
    return PREFIX.get(kind, "artifacts")


def gql_raw(server, query, **variables):
    req = urllib.request.Request(
        server.url + "/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:  # a refused request still answers GraphQL errors
        return json.load(e)


def gql(server, query, **variables):
    out = gql_raw(server, query, **variables)
    assert not out.get("errors"), (query, variables, out["errors"])
    return out["data"]


def log(server, key, kind, body, tag=None, run_uid=None, iteration=None, project=P):
    inp = {"project": project, "key": key, "kind": kind, "body": body}
    if tag:
        inp["tag"] = tag
    if run_uid:
        inp["runUid"] = run_uid
    if iteration is not None:
        inp["iteration"] = iteration
    q = "mutation($i: LogArtifactInput!) { logArtifact(input: $i) { %s } }" % VERSION_FIELDS
    return gql(server, q, i=inp)["logArtifact"]


def resolve(server, uri):
    q = "query($u: String!) { artifact(uri: $u) { %s } }" % VERSION_FIELDS
    return gql(server, q, u=uri)["artifact"]


def resolve_uid(server, uri):
    v = resolve(server, uri)
    return v and v["uid"]


def listed(server, project=P):
    q = "query($p: String!) { artifacts(project: $p, first: 500) { edges { node { %s } } } }" % VERSION_FIELDS
    return [e["node"] for e in gql(server, q, p=project)["artifacts"]["edges"]]


@pytest.fixture
def world(server):
    """A spread of versions: every kind, iteration 0 and >0, tagged and not,
    with and without a tree, and a key with inner dots."""
    gql(server, 'mutation { upsertProject(input: {name: "p"}) { name } }')
    gql(server, 'mutation { upsertProject(input: {name: "q"}) { name } }')
    run = gql(server, 'mutation { startRun(input: {project: "p", name: "train"}) { uid } }')["startRun"]["uid"]
    vs = {
        "model": log(server, "model", "MODEL", "m1"),
        "model-v1": log(server, "model-tagged", "MODEL", "mt", tag="v1"),
        "dataset-run": log(server, "data", "DATASET", "d0", run_uid=run),
        "dataset-iter": log(server, "data", "DATASET", "d3", run_uid=run, iteration=3),
        "artifact": log(server, "plain", "ARTIFACT", "a1"),
        "plot-run-iter": log(server, "roc", "PLOT", "<svg/>", run_uid=run, iteration=1, tag="best"),
        "dots": log(server, "a..b", "MODEL", "dots"),
        "document": log(server, "doc", "DOCUMENT", "text"),
        "fs": log(server, "fs", "FEATURE_SET", "fs1"),
        "fs-tagged": log(server, "fs-tagged", "FEATURE_SET", "fst", tag="prod"),
        "fv": log(server, "fv", "FEATURE_VECTOR", "fv1", tag="v2"),
        "fs-run": log(server, "fs-run", "FEATURE_SET", "fsr", run_uid=run),
    }
    return server, run, vs


def returned_uris(server, vs):
    """(uri, version) for every URI the API returned for these versions."""
    out = []
    by_uid = {v["uid"]: v for v in vs.values()}
    for v in vs.values():
        out.append((v["uri"], v))  # logArtifact's answer
        again = resolve(server, v["uri"])  # artifact(uri:)
        assert again and again["uid"] == v["uid"], (v["uri"], again)
        out.append((again["uri"], v))
        for tag in v["tags"]:  # artifact(uri: ...:<tag>) answers with the asked tag
            asked = resolve(server, "store://%s/%s/%s:%s" % (prefix_of(v["kind"]), P, v["key"], tag))
            if asked and asked["uid"] == v["uid"]:
                out.append((asked["uri"], v))
    for n in listed(server):  # artifacts(project:)
        if n["uid"] in by_uid:
            out.append((n["uri"], by_uid[n["uid"]]))
    return out


def check_parses(uri, v):
    """uri, as MLRun's parsers read it, names exactly v."""
    kind, rest = parse_store_uri(uri)
    assert kind == prefix_of(v["kind"]), uri
    if v["kind"] in OBJECT_KINDS:
        project, name, tag, uid = parse_versioned_object_uri(rest)
        assert (project, name, uid) == (v["project"], v["key"], v["uid"]), uri
        # MLRun's own server looks a tag up before the uid, so a stable
        # handle carries none; if one were given it must be v's.
        assert tag == "" or tag in v["tags"], uri
        return
    project, key, iteration, tag, tree, uid = parse_artifact_uri(rest)
    assert (project, key, iteration, uid) == (v["project"], v["key"], v["iteration"], v["uid"]), uri
    assert tree == v["tree"], uri  # None when the version has no tree
    assert tag is None or tag in v["tags"], uri
    if "latest" in v["tags"]:
        assert tag is not None, uri  # as get_artifact_target writes it


def test_returned_uris_parse_with_mlrun(world):
    server, run, vs = world
    uris = returned_uris(server, vs)
    assert len(uris) >= 3 * len(vs)
    for uri, v in uris:
        check_parses(uri, v)
    # A few spelled out.
    assert vs["model"]["uri"] == "store://models/p/model:latest^" + vs["model"]["uid"]
    assert vs["model-v1"]["uri"] == "store://models/p/model-tagged:v1^" + vs["model-v1"]["uid"]
    assert vs["dataset-iter"]["uri"] == "store://datasets/p/data#3:latest@%s^%s" % (run, vs["dataset-iter"]["uid"])
    assert vs["dots"]["uri"] == "store://models/p/a..b:latest^" + vs["dots"]["uid"]
    assert vs["fs"]["uri"] == "store://feature-sets/p/fs@" + vs["fs"]["uid"]
    assert vs["fv"]["uri"] == "store://feature-vectors/p/fv@" + vs["fv"]["uid"]
    assert vs["fs-run"]["uri"] == "store://feature-sets/p/fs-run@" + vs["fs-run"]["uid"]


def test_mlrun_generated_uris_resolve(world):
    server, run, vs = world
    for name, v in vs.items():
        prefix, key, it, uid = prefix_of(v["kind"]), v["key"], v["iteration"], v["uid"]
        tree = v["tree"]
        if v["kind"] in OBJECT_KINDS:
            # generate_object_uri prefers the uid over the tag, as MLRun writes
            # feature-set and feature-vector references.
            for tag in [None] + v["tags"]:
                uri = get_store_uri(prefix, generate_object_uri(P, key, tag=tag, hash_key=uid))
                assert resolve_uid(server, uri) == uid, (name, uri)
                uri = get_store_uri(prefix, generate_object_uri(P, key, tag=tag))
                assert resolve_uid(server, uri) == uid, (name, uri)  # each is its key's only version
            # A tag and a uid together, in the order MLRun's parser reads them.
            uri = "store://%s/%s/%s@%s:latest" % (prefix, P, key, uid)
            assert parse_versioned_object_uri(parse_store_uri(uri)[1]) == (P, key, "latest", uid)
            assert resolve_uid(server, uri) == uid, uri
            continue
        # generate_artifact_uri: every combination of its parts that names v.
        for tag in [None, "latest"] + v["tags"]:
            for t in {None, tree}:
                for i in {None, it}:
                    gen = generate_artifact_uri(P, key, tag=tag, iter=i, tree=t, uid=uid)
                    for uri in ("store://" + gen, get_store_uri(prefix, gen), get_store_uri("artifacts", gen)):
                        assert resolve_uid(server, uri) == uid, (name, uri)
                    if tag and tag != "latest":
                        # Without the uid, the tag decides.
                        gen = generate_artifact_uri(P, key, tag=tag, iter=it if it else None, tree=t)
                        assert resolve_uid(server, get_store_uri(prefix, gen)) == uid, (name, gen)
        # get_artifact_target, from MLRun's artifact dict.
        if v["kind"] in TARGET_KIND:
            for tag in [None] + v["tags"]:
                item = {
                    "kind": TARGET_KIND[v["kind"]],
                    "metadata": {"project": P, "tree": tree, "tag": tag, "iter": it, "uid": uid},
                    "spec": {"db_key": key},
                }
                target = get_artifact_target(item)
                assert target.startswith("store://" + prefix + "/"), target
                assert resolve_uid(server, target) == uid, (name, target)


def test_prefixless_and_dotted_keys(world):
    server, run, vs = world
    dots = vs["dots"]
    for uri in (
        "store://p/a..b",
        "store://p/a..b:latest",
        "store://" + generate_artifact_uri(P, "a..b"),
        "store://" + generate_artifact_uri(P, "a..b", tag="latest", uid=dots["uid"]),
        "store://artifacts/p/a..b^" + dots["uid"],
    ):
        assert parse_store_uri(uri)[0] in ("artifacts", "models")
        assert resolve_uid(server, uri) == dots["uid"], uri
    assert resolve_uid(server, "store://p/plain") == vs["artifact"]["uid"]
    assert resolve_uid(server, "store://p/model:latest") == vs["model"]["uid"]
    # "." and ".." are never keys.
    for key in (".", ".."):
        q = "mutation($i: LogArtifactInput!) { logArtifact(input: $i) { uid } }"
        out = gql_raw(server, q, i={"project": P, "key": key, "kind": "MODEL", "body": "x"})
        assert out.get("errors"), (key, out)
        assert out["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT", out


def test_uid_decides_and_must_match(world):
    server, run, vs = world
    m = vs["model"]
    other = vs["model-v1"]
    q_version = log(server, "model", "MODEL", "in q", project="q")
    # A tag or tree beside the uid is informative, not a filter.
    for uri in (
        "store://models/p/model:nosuchtag^" + m["uid"],
        "store://models/p/model:v1^" + m["uid"],  # v1 is another key's tag
        "store://models/p/model@nosuchtree^" + m["uid"],
        "store://models/p/model:latest@%s^%s" % (run, m["uid"]),
    ):
        assert resolve_uid(server, uri) == m["uid"], uri
    # A uid that exists but belongs to another key, project or kind: not found.
    for uri in (
        "store://models/p/model-tagged^" + m["uid"],
        "store://models/p/model^" + other["uid"],
        "store://models/q/model^" + m["uid"],
        "store://models/p/model^" + q_version["uid"],
        "store://datasets/p/model^" + m["uid"],
        "store://feature-sets/p/fs@" + vs["fv"]["uid"],
        "store://models/p/model^nosuchuid",
    ):
        assert resolve(server, uri) is None, uri


def test_returned_uris_stay_stable(world):
    """After a newer version takes latest, every URI returned for the old
    version, and MLRun's get_artifact_target for it, still name it."""
    server, run, vs = world
    before = returned_uris(server, vs)
    targets = {}
    for name, v in vs.items():
        if v["kind"] in TARGET_KIND:
            item = {
                "kind": TARGET_KIND[v["kind"]],
                "metadata": {"project": P, "tree": v["tree"], "tag": "latest", "iter": v["iteration"], "uid": v["uid"]},
                "spec": {"db_key": v["key"]},
            }
            targets[name] = get_artifact_target(item)
    newer = {}
    for name, v in vs.items():
        n = log(server, v["key"], v["kind"], "newer " + name, run_uid=v["tree"], iteration=v["iteration"])
        assert n["uid"] != v["uid"] and "latest" in n["tags"], name
        newer[name] = n
        # latest moved: the old version's plain latest URI now names the new one.
        latest = "store://%s/%s/%s" % (prefix_of(v["kind"]), P, v["key"])
        if v["iteration"]:
            latest += "#%d" % v["iteration"]
        assert resolve_uid(server, latest) == n["uid"], latest
    for uri, v in before:
        got = resolve(server, uri)
        assert got is not None and got["uid"] == v["uid"], (uri, got)
        check_parses(uri, v)
    for name, target in targets.items():
        # The example: store://models/p/m:latest@<tree>^<uid>.
        assert ":latest" in target
        assert resolve_uid(server, target) == vs[name]["uid"], target
    # The newer versions' URIs parse and resolve too.
    for name, n in newer.items():
        check_parses(n["uri"], n)
        assert resolve_uid(server, n["uri"]) == n["uid"]
