"""docker-compose.yml, the Dockerfile and the Kubernetes manifests agree with each other and with deploy/.

There is no Docker engine or cluster here, so these read the files: images, ports, env, mounted
paths, scrape targets, provisioning paths and probes must line up.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from alerts.channels.config import EmailChannel, secret_env_names
from bohran.config import parse_config

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
K8S_DIR = REPO / "deploy" / "k8s"
WEB_PORT = 6066
MAILPIT_SMTP_PORT = 1025


# --- helpers ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in dockerfile_instructions():
        if word == "ENV":
            for item in shlex.split(rest):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def exec_form(rest: str) -> list[str]:
    return yaml.safe_load(rest)  # a JSON array is valid YAML


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def worker_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if "build" in s}


def port_pairs(service: dict[str, Any]) -> list[tuple[int, int]]:
    """(host, container) for each published port."""
    pairs = []
    for entry in service.get("ports", []):
        parts = str(entry).split("/")[0].split(":")
        pairs.append((int(parts[-2]), int(parts[-1])))
    return pairs


def bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(host path, container path) for each bind mount (named volumes are skipped)."""
    mounts = []
    for entry in service.get("volumes", []):
        if isinstance(entry, dict):
            if entry.get("type") == "bind":
                mounts.append((entry["source"], entry["target"]))
            continue
        source, target = entry.split(":")[:2]
        if source.startswith((".", "/")):
            mounts.append((source, target))
    return mounts


def host_path_for(service: dict[str, Any], container_path: str) -> Path | None:
    """The repo path a container path of `service` comes from, through its bind mounts."""
    wanted = PurePosixPath(container_path)
    for source, target in bind_mounts(service):
        target_path = PurePosixPath(target)
        if wanted == target_path or target_path in wanted.parents:
            return (REPO / source / wanted.relative_to(target_path)).resolve()
    return None


def image_of(services: dict[str, dict[str, Any]], prefix: str) -> tuple[str, dict[str, Any]]:
    found = [(n, s) for n, s in services.items() if str(s.get("image", "")).startswith(prefix)]
    assert len(found) == 1, f"expected one service from {prefix}, found {[n for n, _ in found]}"
    return found[0]


# --- images and the Dockerfile ---------------------------------------------------------------------


def test_services_use_the_expected_images(services: dict[str, dict[str, Any]]) -> None:
    assert image_of(services, "apache/kafka:")[1]["image"] == "apache/kafka:4.1.1"
    assert image_of(services, "redis:")[1]["image"] == "redis:7-alpine"
    for prefix in ("prom/prometheus", "grafana/grafana", "axllent/mailpit"):
        name, service = image_of(services, prefix)
        assert "build" not in service, name
    assert len(worker_services(services)) == 2
    for name, service in services.items():
        assert "image" in service or "build" in service, name


def test_workers_build_from_the_repo_dockerfile(services: dict[str, dict[str, Any]]) -> None:
    for name, service in worker_services(services).items():
        build = service["build"]
        context = REPO / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = context / (
            build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
        )
        assert dockerfile.resolve() == DOCKERFILE.resolve(), name
        assert DOCKERFILE.is_file()


def test_dockerfile_is_a_non_root_python_312_worker_on_the_web_port() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.12-slim")
    users = [rest for word, rest in instructions if word == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert any(word == "RUN" and "pip install ." in rest for word, rest in instructions)
    exposed = [int(p.split("/")[0]) for word, rest in instructions if word == "EXPOSE" for p in rest.split()]
    assert WEB_PORT in exposed
    entrypoint = [exec_form(rest) for word, rest in instructions if word == "ENTRYPOINT"][-1]
    cmd = [exec_form(rest) for word, rest in instructions if word == "CMD"][-1]
    assert entrypoint + cmd == ["bohran", "worker"]
    env = dockerfile_env()
    # The worker listens on loopback unless told otherwise; in a container that hides /metrics.
    assert env.get("BOHRAN_WEB_HOST") == "0.0.0.0"
    assert int(env.get("BOHRAN_WEB_PORT", WEB_PORT)) == WEB_PORT


def test_dockerfile_copies_only_paths_that_exist() -> None:
    for word, rest in dockerfile_instructions():
        if word == "COPY" and not rest.startswith("--from"):
            sources = shlex.split(rest)[:-1]
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: not in the repo"
    # Everything the package needs to install: its packages and the files pyproject names.
    copied = {s.rstrip("/") for w, r in dockerfile_instructions() if w == "COPY" for s in shlex.split(r)[:-1]}
    assert {"pyproject.toml", "README.md", "streams", "alerts", "bohran"} <= copied


def test_the_worker_serves_the_paths_the_health_checks_use() -> None:
    app = (REPO / "streams" / "app.py").read_text(encoding="utf-8")
    for path in ("/metrics", "/healthz"):
        assert f'@app.page("{path}")' in app, f"streams/app.py serves no {path}"


# --- ports, env and wiring -------------------------------------------------------------------------


def test_each_worker_publishes_its_web_port_on_its_own_host_port(services: dict[str, dict[str, Any]]) -> None:
    host_ports = []
    for name, service in worker_services(services).items():
        pairs = port_pairs(service)
        assert any(container == WEB_PORT for _, container in pairs), name
        host_ports.extend(host for host, container in pairs if container == WEB_PORT)
        env = {**dockerfile_env(), **env_of(service)}
        assert int(env.get("BOHRAN_WEB_PORT", WEB_PORT)) == WEB_PORT, name
        assert env.get("BOHRAN_WEB_HOST") == "0.0.0.0", name
    assert len(host_ports) == len(set(host_ports)), f"workers share a host port: {host_ports}"
    all_host_ports = [host for s in services.values() for host, _ in port_pairs(s)]
    assert len(all_host_ports) == len(set(all_host_ports)), f"host port published twice: {all_host_ports}"


def test_prometheus_scrapes_exactly_the_workers_on_their_web_port(
    services: dict[str, dict[str, Any]],
) -> None:
    _, prometheus = image_of(services, "prom/prometheus")
    flags = dict(arg.removeprefix("--").split("=", 1) for arg in prometheus["command"] if "=" in arg)
    config_path = host_path_for(prometheus, flags["config.file"])
    assert config_path is not None and config_path.is_file(), flags["config.file"]
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for pattern in config["rule_files"]:
        assert list(config_path.parent.glob(pattern)), f"rule_files {pattern} matches nothing"
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = {t for sc in jobs["bohran-worker"]["static_configs"] for t in sc["targets"]}
    assert targets == {f"{name}:{WEB_PORT}" for name in worker_services(services)}
    assert jobs["bohran-worker"].get("metrics_path", "/metrics") == "/metrics"
    assert any(container == 9090 for _, container in port_pairs(prometheus))


def test_worker_env_points_at_the_kafka_internal_listener(services: dict[str, dict[str, Any]]) -> None:
    kafka_name, kafka = image_of(services, "apache/kafka:")
    kenv = env_of(kafka)
    advertised = dict(
        (entry.split("://")[0], urlparse(entry.replace(entry.split("://")[0], "kafka", 1)))
        for entry in kenv["KAFKA_ADVERTISED_LISTENERS"].split(",")
    )
    listeners = {
        entry.split("://")[0]: int(entry.rsplit(":", 1)[1]) for entry in kenv["KAFKA_LISTENERS"].split(",")
    }
    in_network = {
        name: url for name, url in advertised.items() if url.hostname in {kafka_name, kafka.get("hostname")}
    }
    assert len(in_network) == 1, "one listener must advertise the kafka service name to the other containers"
    ((listener, url),) = in_network.items()
    assert listener not in kenv["KAFKA_CONTROLLER_LISTENER_NAMES"].split(",")
    assert listeners[listener] == url.port
    for name, service in worker_services(services).items():
        assert env_of(service)["KAFKA_BOOTSTRAP"] == f"{kafka_name}:{url.port}", name
        assert kafka_name in service["depends_on"], name
    # KRaft, one node that is both broker and controller, voting for itself.
    assert set(kenv["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node = kenv["KAFKA_NODE_ID"]
    controller_port = listeners[kenv["KAFKA_CONTROLLER_LISTENER_NAMES"]]
    assert kenv["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{node}@{kafka_name}:{controller_port}"
    assert kenv["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"


def test_worker_env_points_at_the_redis_service(services: dict[str, dict[str, Any]]) -> None:
    redis_name, redis = image_of(services, "redis:")
    command = " ".join(redis.get("command", []))
    port_flag = re.search(r"--port\s+(\d+)", command)
    redis_port = int(port_flag.group(1)) if port_flag else 6379
    for name, service in worker_services(services).items():
        url = urlparse(env_of(service)["REDIS_URL"])
        assert url.scheme == "redis" and url.hostname == redis_name and (url.port or 6379) == redis_port, name


def test_workers_mount_the_compose_config_where_bohran_config_points(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in worker_services(services).items():
        config_path = env_of(service)["BOHRAN_CONFIG"]
        host = host_path_for(service, config_path)
        assert host == (REPO / "deploy" / "compose" / "bohran.yaml").resolve(), name
        parse_config(host.read_text(encoding="utf-8"), str(host), check_env=False)


def test_email_reaches_mailpit(services: dict[str, dict[str, Any]]) -> None:
    mailpit_name, mailpit = image_of(services, "axllent/mailpit")
    assert MAILPIT_SMTP_PORT in {container for _, container in port_pairs(mailpit)}
    for name, service in worker_services(services).items():
        env = env_of(service)
        config = parse_config(
            host_path_for(service, env["BOHRAN_CONFIG"]).read_text(encoding="utf-8"), check_env=False
        )
        emails = [c for c in config.alerting.channels if isinstance(c, EmailChannel)]
        assert emails, "the compose config has no email channel to send to Mailpit"
        for channel in emails:
            host, port = channel.smtp_host, channel.smtp_port
            assert (host, port) == (mailpit_name, MAILPIT_SMTP_PORT), (
                f"{name}: {channel.name} -> {host}:{port}"
            )
            assert channel.security == "none", "Mailpit speaks plain SMTP"


def test_workers_get_every_secret_the_config_names(services: dict[str, dict[str, Any]]) -> None:
    for name, service in worker_services(services).items():
        env = env_of(service)
        config = parse_config(
            host_path_for(service, env["BOHRAN_CONFIG"]).read_text(encoding="utf-8"), check_env=False
        )
        for channel in config.alerting.channels:
            for var in secret_env_names(channel):
                assert var in env, f"{name}: {channel.name} needs {var}"


# --- Grafana ---------------------------------------------------------------------------------------


def test_grafana_provisioning_and_dashboards_are_mounted_from_deploy(
    services: dict[str, dict[str, Any]],
) -> None:
    _, grafana = image_of(services, "grafana/grafana")
    provisioning = host_path_for(grafana, "/etc/grafana/provisioning")
    assert provisioning == (REPO / "deploy" / "grafana" / "provisioning").resolve()
    providers = [
        p
        for f in sorted((provisioning / "dashboards").glob("*.yml"))
        for p in yaml.safe_load(f.read_text(encoding="utf-8"))["providers"]
    ]
    assert providers
    for provider in providers:
        host_dir = host_path_for(grafana, provider["options"]["path"])
        assert host_dir is not None and (host_dir / "bohran-overview.json").is_file(), provider["options"][
            "path"
        ]
    home = env_of(grafana).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        assert (
            host_path_for(grafana, home)
            == (REPO / "deploy/grafana/dashboards/bohran-overview.json").resolve()
        )


def test_grafana_datasource_points_at_the_prometheus_service(services: dict[str, dict[str, Any]]) -> None:
    prometheus_name, prometheus = image_of(services, "prom/prometheus")
    _, grafana = image_of(services, "grafana/grafana")
    provisioning = host_path_for(grafana, "/etc/grafana/provisioning")
    datasources = [
        d
        for f in sorted((provisioning / "datasources").glob("*.yml"))
        for d in yaml.safe_load(f.read_text(encoding="utf-8"))["datasources"]
    ]
    (prom,) = [d for d in datasources if d["type"] == "prometheus"]
    url = urlparse(prom["url"])
    assert url.hostname == prometheus_name and url.port in {c for _, c in port_pairs(prometheus)}


def test_every_mounted_host_path_exists(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for source, _ in bind_mounts(service):
            assert (REPO / source).exists(), f"{name} mounts {source}, which is not in the repo"


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for entry in service.get("volumes", []):
            source = entry.split(":")[0] if isinstance(entry, str) else entry.get("source", "")
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} is not declared"


# --- Kubernetes ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def k8s() -> dict[str, list[dict[str, Any]]]:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(K8S_DIR.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                by_kind.setdefault(doc["kind"], []).append(doc)
    return by_kind


def the(k8s: dict[str, list[dict[str, Any]]], kind: str) -> dict[str, Any]:
    assert len(k8s.get(kind, [])) == 1, f"expected one {kind}"
    return k8s[kind][0]


def worker_container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def resolve_port(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    (match,) = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    return match


def test_manifests_are_namespace_less(k8s: dict[str, list[dict[str, Any]]]) -> None:
    assert {"Deployment", "ConfigMap", "Service", "PodDisruptionBudget"} <= set(k8s)
    for docs in k8s.values():
        for doc in docs:
            assert "namespace" not in doc["metadata"], doc["metadata"]["name"]


def test_configmap_holds_a_valid_bohran_yaml(k8s: dict[str, list[dict[str, Any]]]) -> None:
    configmap = the(k8s, "ConfigMap")
    config = parse_config(configmap["data"]["bohran.yaml"], "configmap bohran.yaml", check_env=False)
    assert config.brands
    assert config.alerting.grafana_url and config.alerting.grafana_url.endswith("/d/bohran-overview")


def test_deployment_mounts_the_configmap_where_bohran_config_points(
    k8s: dict[str, list[dict[str, Any]]],
) -> None:
    deployment, configmap = the(k8s, "Deployment"), the(k8s, "ConfigMap")
    container = worker_container(deployment)
    env = {e["name"]: e for e in container["env"]}
    config_path = PurePosixPath(env["BOHRAN_CONFIG"]["value"])
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    (mount,) = [m for m in container["volumeMounts"] if PurePosixPath(m["mountPath"]) == config_path.parent]
    # A directory mount (no subPath) so ConfigMap edits reach the file and hot reload sees them.
    assert "subPath" not in mount
    assert volumes[mount["name"]]["configMap"]["name"] == configmap["metadata"]["name"]
    assert config_path.name in configmap["data"]


def test_deployment_provides_every_secret_the_config_names(k8s: dict[str, list[dict[str, Any]]]) -> None:
    container = worker_container(the(k8s, "Deployment"))
    env = {e["name"]: e for e in container["env"]}
    config = parse_config(the(k8s, "ConfigMap")["data"]["bohran.yaml"], check_env=False)
    needed = {var for channel in config.alerting.channels for var in secret_env_names(channel)}
    assert needed
    for var in needed:
        assert var in env, f"{var} is not set in the worker's env"
        assert "secretKeyRef" in env[var].get("valueFrom", {}), (
            f"{var} must come from a Secret, not a literal"
        )
    assert "KAFKA_BOOTSTRAP" in env and "REDIS_URL" in env


def test_deployment_runs_two_non_root_workers_listening_beyond_loopback(
    k8s: dict[str, list[dict[str, Any]]],
) -> None:
    deployment = the(k8s, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    container = worker_container(deployment)
    assert container.get("args", ["worker"])[0] == "worker"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["BOHRAN_WEB_HOST"] == "0.0.0.0"
    assert int(env.get("BOHRAN_WEB_PORT") or WEB_PORT) == WEB_PORT
    assert resolve_port(container, "web") == WEB_PORT
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_probes_hit_the_web_port(k8s: dict[str, list[dict[str, Any]]]) -> None:
    container = worker_container(the(k8s, "Deployment"))
    app = (REPO / "streams" / "app.py").read_text(encoding="utf-8")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        http = container[probe]["httpGet"]
        assert resolve_port(container, http["port"]) == WEB_PORT, probe
        assert f'@app.page("{http["path"]}")' in app, f"{probe}: the worker serves no {http['path']}"
    assert container["readinessProbe"]["httpGet"]["path"] == "/metrics"


def test_metrics_service_selects_the_workers_on_the_web_port(k8s: dict[str, list[dict[str, Any]]]) -> None:
    deployment, service = the(k8s, "Deployment"), the(k8s, "Service")
    container = worker_container(deployment)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    assert port["port"] == WEB_PORT
    assert resolve_port(container, port.get("targetPort", port["port"])) == WEB_PORT
    annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
    assert annotations.get("prometheus.io/port", str(WEB_PORT)) == str(WEB_PORT)


def test_disruption_budget_keeps_a_worker(k8s: dict[str, list[dict[str, Any]]]) -> None:
    deployment, pdb = the(k8s, "Deployment"), the(k8s, "PodDisruptionBudget")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"].get("minAvailable", 0) >= 1 or pdb["spec"].get("maxUnavailable") == 1


def test_compose_config_is_the_example_with_mail_to_mailpit() -> None:
    """The two files differ only where compose must differ, so the example stays what compose runs."""
    example = parse_config((REPO / "bohran.example.yaml").read_text(encoding="utf-8"), check_env=False)
    compose = parse_config((REPO / "deploy" / "compose" / "bohran.yaml").read_text(encoding="utf-8"), check_env=False)
    assert example.brands == compose.brands and example.detection == compose.detection
    assert example.alerting.route == compose.alerting.route
    for ours, theirs in zip(example.alerting.channels, compose.alerting.channels, strict=True):
        if isinstance(ours, EmailChannel):
            assert theirs.model_copy(update={"smtp_host": ours.smtp_host}) == ours
        else:
            assert ours == theirs
