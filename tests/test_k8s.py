"""Kubernetes: deploy/k8s's definitions import, and the Job dagster-k8s would submit for a step
carries the image, the environment and that step's resources. No cluster is involved: the
executor's own step handler builds each Job from deploy/k8s (values.yaml as the Helm chart hands
it to runs, executor.yaml) and sends it to a Kubernetes API on localhost that only records it."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

pytest.importorskip("dagster_k8s")

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
# `helm install indicators dagster/dagster -f deploy/k8s/values.yaml --namespace indicators`
RELEASE, NAMESPACE = "indicators-dagster", "indicators"


class _RecordingApi(BaseHTTPRequestHandler):
    """Kubernetes' API as far as creating a Job goes: records it, answers 201 with it."""

    def do_POST(self) -> None:
        """Record the Job posted to .../namespaces/<ns>/jobs and echo it back."""
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.jobs.append((self.path, json.loads(body)))
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        """Quiet: pytest shows the assertions, not the requests."""


@pytest.fixture
def kube_api(tmp_path) -> Iterator[tuple[Path, list]]:
    """The recording API on a free localhost port; yields a kubeconfig for it and its Jobs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingApi)
    server.jobs = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    cluster = {"server": f"http://127.0.0.1:{server.server_address[1]}"}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "recorder", "cluster": cluster}],
        "users": [{"name": "test", "user": {"token": "unused"}}],
        "contexts": [{"name": "recorder", "context": {"cluster": "recorder", "user": "test"}}],
        "current-context": "recorder",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    try:
        yield path, server.jobs
    finally:
        server.shutdown()
        server.server_close()


def _deployment() -> dict:
    """The user code deployment of values.yaml."""
    values = yaml.safe_load((K8S / "values.yaml").read_text(encoding="utf-8"))
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    return deployment


def _chart_container_context(deployment: dict) -> dict:
    """What the chart's `dagsterUserDeployments.k8sContainerContext` template hands every run of
    a user code deployment (includeConfigInLaunchedRuns, on by default)."""
    return {
        "k8s": {
            "image_pull_policy": deployment["image"]["pullPolicy"],
            "env_config_maps": [f"{RELEASE}-{deployment['name']}-user-env"],
            "env_secrets": [s["name"] for s in deployment.get("envSecrets", [])],
            "volume_mounts": deployment.get("volumeMounts", []),
            "volumes": deployment.get("volumes", []),
            "namespace": NAMESPACE,
            "service_account_name": f"{RELEASE}-user-deployments",
            "env": deployment.get("env", []),
        }
    }


def _instance(tmp_path: Path, kubeconfig: Path):
    """A Dagster instance with the run launcher the chart configures, pointed at the recorder
    (in a cluster it loads the in-cluster config instead)."""
    import dagster as dg

    home = tmp_path / "dagster-home"
    home.mkdir()
    launcher = {
        "instance_config_map": f"{RELEASE}-instance",
        "dagster_home": "/opt/dagster/dagster_home",
        "postgres_password_secret": f"{RELEASE}-postgresql-secret",
        "service_account_name": f"{RELEASE}",
        "job_namespace": NAMESPACE,
        "load_incluster_config": False,
        "kubeconfig_file": str(kubeconfig),
    }
    config = {
        "telemetry": {"enabled": False},
        "run_launcher": {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": launcher},
    }
    (home / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return dg.DagsterInstance.from_config(str(home))


def _recon_job(name: str):
    """A job of deploy/k8s/definitions.py as the code server would hand it out: its origin
    carries the deployment's image and container context."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    repo = ReconstructableRepository.for_file(
        str(K8S / "definitions.py"), "defs", working_directory=str(ROOT)
    )
    deployment = _deployment()
    image = f"{deployment['image']['repository']}:{deployment['image']['tag']}"
    return repo.get_reconstructable_job(name), image


def _submit_step(instance, job_name: str, step_key: str, tags: dict) -> None:
    """Make a run of the job and have the k8s executor launch one of its steps, as the run's
    orchestrator does (dagster-k8s's step handler, unchanged)."""
    from dagster._core.execution.api import create_execution_plan
    from dagster._core.execution.context.system import PlanData, PlanOrchestrationContext
    from dagster._core.execution.context_creation_job import create_context_free_log_manager
    from dagster._core.executor.init import InitExecutorContext
    from dagster._core.executor.step_delegating.step_handler.base import StepHandlerContext
    from dagster._core.system_config.objects import ResolvedRunConfig
    from dagster._core.test_utils import create_run_for_test
    from dagster._grpc.types import ExecuteStepArgs

    recon, image = _recon_job(job_name)
    origin = recon.get_python_origin()
    origin = origin._replace(
        repository_origin=origin.repository_origin._replace(
            container_image=image, container_context=_chart_container_context(_deployment())
        )
    )
    job_def = recon.get_definition()
    executor = job_def.executor_def.executor_creation_fn(
        InitExecutorContext(
            job=recon,
            executor_def=job_def.executor_def,
            executor_config=ResolvedRunConfig.build(job_def, {}).execution.execution_engine_config,
            instance=instance,
        )
    )
    run = create_run_for_test(instance, job_name=job_name, job_code_origin=origin, tags=tags)
    plan = create_execution_plan(recon, tags=tags)
    plan_context = PlanOrchestrationContext(
        plan_data=PlanData(
            job=recon, dagster_run=run, instance=instance, execution_plan=plan, raise_on_error=True
        ),
        log_manager=create_context_free_log_manager(instance, run),
        executor=executor,
        output_capture=None,
    )
    args = ExecuteStepArgs(
        job_origin=origin,
        run_id=run.run_id,
        step_keys_to_execute=[step_key],
        instance_ref=instance.get_ref(),
    )
    context = StepHandlerContext(instance, plan_context, plan.steps, args, run)
    list(executor._step_handler.launch_step(context))


def _memory(quantity: str) -> int:
    """A Kubernetes memory quantity (Mi, Gi) in bytes."""
    units = {"Mi": 2**20, "Gi": 2**30}
    return int(quantity[:-2]) * units[quantity[-2:]]


def test_k8s_definitions_import_with_the_k8s_executor():
    """deploy/k8s/definitions.py imports (dagster-k8s is installed) and every job steps on
    Kubernetes; executor.yaml names only steps that exist."""
    import runpy

    defs = runpy.run_path(str(K8S / "definitions.py"))["defs"]
    ops = set()
    for name in ("documents_job", "publish_job", "read_reports"):
        job = defs.resolve_job_def(name)
        assert job.executor_def.name == "k8s", name
        ops |= {node.name for node in job.graph.node_defs}
    sized = yaml.safe_load((K8S / "executor.yaml").read_text(encoding="utf-8"))
    assert set(sized["per_step_k8s_config"]) <= ops


def test_step_jobs_carry_image_environment_and_their_own_resources(tmp_path, kube_api):
    """The Jobs for a report's read and for the load and the publish: the deployment's image,
    the pipeline's settings in the environment (each a variable settings.py knows), the S3
    secret, the shared volume, the PostgreSQL password; reading and load/publish sized apart."""
    from pipeline.settings import VARIABLES

    kubeconfig, jobs = kube_api
    instance = _instance(tmp_path, kubeconfig)
    _submit_step(instance, "documents_job", "document", {"dagster/partition": "report-0"})
    _submit_step(instance, "publish_job", "warehouse", {})
    _submit_step(instance, "publish_job", "published_dataset", {})
    instance.dispose()
    assert [path for path, _ in jobs] == [f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs"] * 3
    deployment = _deployment()
    containers = {}
    for _, job in jobs:
        (container,) = job["spec"]["template"]["spec"]["containers"]
        containers[job["metadata"]["labels"]["dagster/op"]] = (job, container)
    assert set(containers) == {"document", "warehouse", "published_dataset"}
    known = {v.name for v in VARIABLES}
    for step, (job, container) in containers.items():
        assert container["image"] == "registry.example.org/report-indicators:latest", step
        assert container["args"][:3] == ["dagster", "api", "execute_step"], step
        env = {e["name"]: e for e in container["env"]}
        for given in deployment["env"]:
            assert env[given["name"]]["value"] == given["value"], (step, given)
        assert {n for n in env if n.startswith("INDICATORS_")} <= known, step
        assert env["DAGSTER_PG_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == (
            f"{RELEASE}-postgresql-secret"
        )
        assert {"secretRef": {"name": "indicators-s3"}} in container["envFrom"], step
        assert container["volumeMounts"] == [{"mountPath": "/data", "name": "data"}], step
        (volume,) = job["spec"]["template"]["spec"]["volumes"]
        assert volume["persistentVolumeClaim"]["claimName"] == "indicators-data", step
    limits = {
        step: _memory(c["resources"]["limits"]["memory"]) for step, (_, c) in containers.items()
    }
    assert limits["warehouse"] == limits["published_dataset"] > limits["document"]
    # The read step holds the PDF reader's own cap (INDICATORS_REPORT_MEMORY_MB) and more.
    report_mb = next(v.default for v in VARIABLES if v.name == "INDICATORS_REPORT_MEMORY_MB")
    assert limits["document"] > int(report_mb) * 2**20
    requests = {s: c["resources"]["requests"] for s, (_, c) in containers.items()}
    assert requests["document"] == {"cpu": "1", "memory": "1Gi"}
    assert requests["warehouse"] == requests["published_dataset"] == {"cpu": "2", "memory": "4Gi"}
