#!/usr/bin/env python3
"""Checks the deployment files without a container engine or a cluster (PRODUCT.md X7):

1. docker-compose.yml against the Compose specification's JSON schema (check-jsonschema's
   vendored copy), and a broken copy of it is refused (the check can fail);
2. each compose service runs the command, port and wiring `groupbuy wiring` prints (what
   `groupbuy up` and the journeys run with), on its own PostgreSQL database;
3. the Kubernetes base is what deploy/kubernetes/render.py writes from `groupbuy wiring` today;
4. every manifest validates against the stated Kubernetes version's schemas (kubernetes-validate,
   strict), and a broken one is refused;
5. every Secret and ConfigMap key the base reads is supplied by the base or the example overlay.

Usage: deployment-check.py WIRING_JSON (from `groupbuy wiring`); run from the repository root with
the .venv that holds check-jsonschema, kubernetes-validate and PyYAML."""

import copy
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

KUBERNETES = "1.33.0"
wiring = json.load(open(sys.argv[1]))
venv = os.path.join(".venv", "bin")


def run(*args):
    return subprocess.run(args, capture_output=True, text=True)


def refused(tool_args, document, suffix):
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as file:
        yaml.safe_dump(document, file)
    return run(*tool_args, file.name).returncode != 0


# 1. The Compose schema.
checked = run(f"{venv}/check-jsonschema", "--builtin-schema", "vendor.compose-spec", "docker-compose.yml")
assert checked.returncode == 0, checked.stdout + checked.stderr
compose = yaml.safe_load(open("docker-compose.yml"))
broken = copy.deepcopy(compose)
broken["services"]["groups"]["ports"] = {"http": 8082}
assert refused([f"{venv}/check-jsonschema", "--builtin-schema", "vendor.compose-spec"], broken, ".yml"), \
    "the Compose schema check accepted a broken file"
print("docker-compose.yml: valid against the Compose specification (and a broken copy refused)")

# 2. Compose runs each service as `groupbuy up` does.
databases = open("deploy/compose/create-databases.sql").read()
for name, shape in wiring.items():
    service = compose["services"][name]
    assert service["command"] == shape["command"], (name, service["command"])
    port = shape["port"]
    assert f"{port}:{port}" in service["ports"], (name, service["ports"])
    env = service["environment"]
    assert env["GROUPBUY_SERVER__PORT"] == str(port), name
    assert env["GROUPBUY_DATABASE__URL"].endswith(f"@postgres:5432/{name}"), name
    assert f"CREATE DATABASE {name};" in databases, name
    for key, value in shape["env"].items():
        assert env.get(key) == value, f"{name}: {key} is {env.get(key)!r}, `groupbuy wiring` says {value!r}"
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
print(f"docker-compose.yml: {len(wiring)} services with the commands, ports and wiring of `groupbuy wiring`")

# 3. The Kubernetes base is rendered from today's wiring.
base = "deploy/kubernetes/base"
with tempfile.TemporaryDirectory() as fresh:
    rendered = run(sys.executable, "deploy/kubernetes/render.py", sys.argv[1], fresh)
    assert rendered.returncode == 0, rendered.stderr
    for name in wiring:
        committed, again = open(f"{base}/{name}.yaml").read(), open(f"{fresh}/{name}.yaml").read()
        assert committed == again, f"{base}/{name}.yaml is stale: run deploy/kubernetes/render.py"
print("deploy/kubernetes/base: as render.py writes it from `groupbuy wiring`")

# 4. Kubernetes schemas.
manifests = sorted(glob.glob(f"{base}/*.yaml")) + ["deploy/kubernetes/overlays/example/namespace.yaml"]
manifests = [m for m in manifests if not m.endswith("kustomization.yaml")]
validator = [f"{venv}/kubernetes-validate", "--strict", "-k", KUBERNETES]
validated = run(*validator, *manifests)
assert validated.returncode == 0, validated.stdout + validated.stderr
resources = [d for m in manifests for d in yaml.safe_load_all(open(m)) if d]
broken = copy.deepcopy(next(r for r in resources if r["kind"] == "Deployment"))
broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/health/ready"
assert refused(validator, broken, ".yaml"), "kubernetes-validate accepted a broken Deployment"
kinds = sorted({r["kind"] for r in resources})
print(f"Kubernetes {KUBERNETES}: {len(resources)} resources valid ({', '.join(kinds)}); a broken one refused")

# 5. Every key the base reads exists.
overlay = "deploy/kubernetes/overlays/example"
kustomization = yaml.safe_load(open(f"{overlay}/kustomization.yaml"))
supplied = {}
for generator in kustomization["secretGenerator"] + kustomization.get("configMapGenerator", []):
    keys = set()
    for env_file in generator.get("envs", []):
        keys |= {line.split("=", 1)[0] for line in open(f"{overlay}/{env_file}") if "=" in line}
    keys |= {os.path.basename(f) for f in generator.get("files", [])}
    keys |= {literal.split("=", 1)[0] for literal in generator.get("literals", [])}
    supplied.setdefault(generator["name"], set()).update(keys)
for resource in resources:
    if resource["kind"] == "ConfigMap":
        supplied.setdefault(resource["metadata"]["name"], set()).update(resource["data"])
text = "".join(open(m).read() for m in manifests)
read = 0
for resource in resources:
    for container in resource.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
        for source in container.get("envFrom", []):
            assert source["configMapRef"]["name"] in supplied, source
        for variable in container.get("env", []):
            for kind in ("secretKeyRef", "configMapKeyRef"):
                ref = variable.get("valueFrom", {}).get(kind)
                if ref and not ref.get("optional"):
                    read += 1
                    assert ref["key"] in supplied.get(ref["name"], set()), f"{ref['name']}/{ref['key']} is never supplied"
assert not re.search(r"\$\{[A-Z_]+\}", text), "a ${PLACEHOLDER} was left in the manifests"
print(f"deploy/kubernetes: {read} Secret and ConfigMap keys read, each supplied by the base or the example overlay")
