"""A dashboard's or notebook's view of Artigraph, with the `gql` client.

Lists a project's artifacts, then prints the lineage of one of them and what
breaks if it changes. Run it against a server:

    pip install 'gql[requests]'
    python examples/python/lineage_report.py --server http://127.0.0.1:8080 --project fraud \
        --uri store://datasets/fraud/transactions

ARTIGRAPH_TOKEN, when set, is sent as a Bearer token (servers under --auth token).
"""

import argparse
import json
import os

from gql import Client, GraphQLRequest, gql
from gql.transport.requests import RequestsHTTPTransport

ARTIFACTS = gql("""
query Artifacts($project: String!, $first: Int, $after: String) {
  artifacts(project: $project, first: $first, after: $after) {
    totalCount
    edges { node { key kind uri tags createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}""")

LINEAGE = gql("""
query Lineage($uri: String!, $direction: LineageDirection!) {
  lineage(uri: $uri, direction: $direction, depth: 10) {
    nodes { id type depth artifact { key } run { name state } }
    edges { from to relation }
    truncated
    hidden
  }
}""")

IMPACT = gql("""
query Impact($uri: String!) {
  impact(uri: $uri) {
    artifacts { key uri }
    runs { name uid }
    pipelines { id }
    truncated
    hidden
  }
}""")


def client(server, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # Apollo-Require-Preflight marks the request as not a browser form post.
    headers["Apollo-Require-Preflight"] = "true"
    transport = RequestsHTTPTransport(url=server.rstrip("/") + "/graphql", headers=headers, timeout=30)
    return Client(transport=transport, fetch_schema_from_transport=False)


def run(c, query, **variables):
    return c.execute(GraphQLRequest(query, variable_values=variables))


def all_artifacts(c, project, page_size=100):
    """Every version of a project, following the pages."""
    after, out = None, []
    while True:
        page = run(c, ARTIFACTS, project=project, first=page_size, after=after)["artifacts"]
        out += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return out
        after = page["pageInfo"]["endCursor"]


def report(server, project, uri, token=None):
    c = client(server, token)
    return {
        "artifacts": all_artifacts(c, project),
        "upstream": run(c, LINEAGE, uri=uri, direction="UPSTREAM")["lineage"],
        "impact": run(c, IMPACT, uri=uri)["impact"],
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", default=os.environ.get("ARTIGRAPH_SERVER", "http://127.0.0.1:8080"))
    p.add_argument("--project", required=True)
    p.add_argument("--uri", required=True, help="the store:// URI of the version to explain")
    a = p.parse_args()
    r = report(a.server, a.project, a.uri, os.environ.get("ARTIGRAPH_TOKEN"))
    print(f"{len(r['artifacts'])} artifact versions in {a.project}")
    for n in r["upstream"]["nodes"]:
        what = n["artifact"]["key"] if n["artifact"] else f"run {n['run']['name']} ({n['run']['state']})"
        print("  " * n["depth"] + what)
    print("impact:", json.dumps({k: len(v) for k, v in r["impact"].items() if isinstance(v, list)}))


if __name__ == "__main__":
    main()
