"""The job the MLRun compatibility tests run locally: it reads a dataset
input and logs what it derived from it, so that the run has one CONSUMED
input and PRODUCED outputs."""


def summarize(context, data):
    df = data.as_df()
    context.log_result("rows", len(df))
    context.log_dataset("doubled", df=df * 2, format="csv", labels={"stage": "derived"})
    context.log_artifact("report", body=f"{len(df)} rows\n", format="txt")
