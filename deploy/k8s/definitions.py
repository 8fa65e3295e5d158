"""The pipeline's assets on Kubernetes: each step (one report partition, the load, the
publish) runs as its own Kubernetes Job (dagster-k8s ``k8s_job_executor``). Point the
Dagster Helm chart's user code deployment at this file (see values.yaml)."""

from dagster_k8s import k8s_job_executor

from pipeline import definitions as d

defs = d.definitions(executor=k8s_job_executor.configured({"max_concurrent": 16}))
