"""The deployment files are valid and say what the README says: Kubernetes manifests
against the API schemas (kubernetes-validate, strict), probes on the app's own health
routes, an autoscaler, disruption budgets, CronJobs for the purge and the fraud scan."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[2] / "infra" / "k8s"


def documents() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def by_kind(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


@pytest.mark.parametrize("doc", documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_manifest_is_valid_against_the_kubernetes_schema(doc):
    kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_the_kustomization_lists_every_manifest():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_the_app_is_probed_for_liveness_and_readiness_and_scales():
    app = by_kind("Deployment")["urna-app"]
    container = app["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert by_kind("HorizontalPodAutoscaler")["urna-app"]["spec"]["scaleTargetRef"]["name"] == (
        "urna-app"
    )
    assert set(by_kind("PodDisruptionBudget")) == {"urna-app", "urna-worker"}
    assert by_kind("Deployment")["urna-worker"]["spec"]["template"]["spec"]["containers"][0][
        "command"
    ] == ["urna", "worker"]


def test_secrets_come_from_a_secret_and_no_real_value_is_committed():
    secret = by_kind("Secret")["urna-secrets"]
    for name, value in secret["stringData"].items():
        if name.endswith("_KEY") or name.endswith("_TOKEN"):
            assert value == "set-me"
    for deployment in by_kind("Deployment").values():
        sources = deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]
        assert {"secretRef": {"name": "urna-secrets"}} in sources


def test_cronjobs_run_the_purge_and_the_fraud_scan_one_at_a_time():
    jobs = by_kind("CronJob")
    assert set(jobs) == {"urna-purge", "urna-fraud-scan"}
    for job in jobs.values():
        assert job["spec"]["concurrencyPolicy"] == "Forbid"
    purge = jobs["urna-purge"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert purge["containers"][0]["command"] == ["urna", "purge"]
