"""Writes the MLRun documents of this folder with MLRun's own classes:

    $(scripts/pyenv mlrun)/bin/python mlrunyaml/testdata/mlrun/generate.py mlrunyaml/testdata/mlrun

named <class>-mlrun-<version>.yaml (to_yaml) and .json (to_dict).
"""
import os, sys, json, tempfile, datetime
os.environ.setdefault("MLRUN_DBPATH", "")
import pandas as pd
import mlrun
from mlrun.artifacts import Artifact, DatasetArtifact, PlotArtifact, ModelArtifact
from mlrun.artifacts.manager import dict_to_artifact
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
ver = mlrun.__version__
base = "/data/mlrun/fraud"
def finish(a, tag="v1", tree="a1b2c3d4e5f6", uid=None):
    a.metadata.project = "fraud"
    a.metadata.tree = tree
    a.metadata.tag = tag
    a.metadata.iter = 0
    a.spec.db_key = a.metadata.key if a.kind != "model" else "train_" + a.metadata.key
    a.metadata.labels = {"owner": "ana", "mlrun/client_version": ver}
    a.metadata.updated = datetime.datetime(2026, 12, 1, 6, 1, 22, 12485, tzinfo=datetime.timezone.utc)
    a.spec.producer = {"kind": "run", "name": "train", "uri": "fraud/" + tree, "owner": "ana", "workflow": "wf-1"}
    a.metadata.hash = "3f786850e387550fdab836ed7e6dc881de23001b"
    a.metadata.uid = uid
    return a
df = pd.DataFrame({"id": [1, 2, 3], "amount": [9.5, 3.25, 1.0], "label": ["a", "b", "a"]})
ds = DatasetArtifact(key="clean", df=df, format="parquet", target_path=base + "/clean.parquet")
ds.spec.license = "MIT"
finish(ds)
ds.spec.size = 1234
ds.spec.sources = [{"name": "raw", "path": "s3://bucket/raw.csv"}]
ds.spec.extra_data = {"report": base + "/report.html", "profile": "https://example.com/profile.html"}
plot = PlotArtifact(key="roc", body="<html>roc</html>", target_path=base + "/roc.html")
finish(plot, tag="latest")
art = Artifact(key="notes", body="hello", target_path=base + "/notes.txt", format="txt")
finish(art, tag="latest")
art.spec.extra_data = {"raw": "notes-raw.txt"}
model = ModelArtifact(key="clf", model_file="model.pkl", target_path=base + "/clf/",
    metrics={"auc": 0.91, "accuracy": 0.87}, parameters={"n_estimators": 100, "max_depth": 5},
    framework="sklearn", algorithm="RandomForestClassifier",
    extra_data={"feature-importance": base + "/clf/fi.html", "confusion": "confusion.csv"})
model.spec.inputs = [{"name": "amount", "value_type": "float"}]
model.spec.outputs = [{"name": "label", "value_type": "str"}]
model.spec.feature_weights = [0.7, 0.3]
finish(model, tag="v1")
for name, a in [("artifact", art), ("dataset", ds), ("plot", plot), ("model", model)]:
    cls = type(a).__name__
    with open(os.path.join(out, f"{cls}-mlrun-{ver}.yaml"), "w") as f:
        f.write(a.to_yaml())
    with open(os.path.join(out, f"{cls}-mlrun-{ver}.json"), "w") as f:
        f.write(json.dumps(a.to_dict(), indent=2, default=str))
print("ok", ver)
