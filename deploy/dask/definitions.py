"""The pipeline's assets on a Dask cluster: every step (one report partition, the load, the
publish) is a Dask task. Load with ``dagster dev -f deploy/dask/definitions.py`` or
``dagster job execute -f deploy/dask/definitions.py -j documents_job -c deploy/dask/run.yaml``.
Artifacts must be on storage every worker sees (INDICATORS_ARTIFACTS=s3://...), and so must
Dagster's run storage (the same DAGSTER_HOME / dagster.yaml on every machine)."""

from dagster_dask import dask_executor

from pipeline import definitions as d

defs = d.definitions(executor=dask_executor)
