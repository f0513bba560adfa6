#!/usr/bin/env python3
"""Writes the kustomize base's per-service manifests (deploy/kubernetes/base/<service>.yaml) from
`groupbuy wiring`, the one definition of each service's command, port and peers that `groupbuy up`,
the journeys and docker-compose.yml share. CI renders them again and fails on any difference.

Per service: a Deployment (readiness and liveness probes on /health/*, resource requests and
limits, non-root, read-only root file system), a Service, a HorizontalPodAutoscaler, a
PodDisruptionBudget and the Job that applies its migrations before its replicas start.

Usage: render.py WIRING_JSON OUT_DIR"""

import json
import sys

import yaml

wiring, out = json.load(open(sys.argv[1])), sys.argv[2]

# Secrets the wiring names as ${PLACEHOLDER}: each is a key of the groupbuy-webhooks Secret.
WEBHOOK_SECRET = "groupbuy-webhooks"


def secret(name, key, optional=False):
    ref = {"name": name, "key": key}
    if optional:
        ref["optional"] = True
    return {"valueFrom": {"secretKeyRef": ref}}


def env_of(service, port, peers):
    env = [
        {"name": "GROUPBUY_SERVER__PORT", "value": str(port)},
        {"name": "GROUPBUY_DATABASE__URL", **secret("groupbuy-databases", service)},
        {"name": "GROUPBUY_AUTH__PUBLIC_KEY_PEM", **secret("groupbuy-auth", "public_key.pem")},
    ]
    for name, value in peers.items():
        if value.startswith("${") and value.endswith("}"):
            env.append({"name": name, **secret(WEBHOOK_SECRET, value[2:-1])})
        else:
            env.append({"name": name, "value": value})
    if service == "groups":
        # Groups signs its own short-lived service tokens with this key (EdDSA).
        env.append({"name": "GROUPBUY_GROUPS__SERVICE_KEY_PEM", **secret("groupbuy-auth", "groups_service_key.pem")})
        env.append({"name": "GROUPBUY_GROUPS__MAIL__SMTP_URL",
                    "valueFrom": {"configMapKeyRef": {"name": "groupbuy-settings", "key": "smtp_url"}}})
    if service == "payments":
        env.append({"name": "GROUPBUY_PAYMENTS__PROVIDER",
                    "valueFrom": {"configMapKeyRef": {"name": "groupbuy-settings", "key": "payments_provider"}}})
        env.append({"name": "GROUPBUY_PAYMENTS__STRIPE__API_KEY", **secret("groupbuy-stripe", "api_key", True)})
        env.append({"name": "GROUPBUY_PAYMENTS__STRIPE__WEBHOOK_SECRET", **secret("groupbuy-stripe", "webhook_secret", True)})
    return env


def container(service, args, port, env, probes):
    spec = {
        "name": service,
        "image": "groupbuy",
        "args": args,
        "envFrom": [{"configMapRef": {"name": "groupbuy-platform"}}],
        "env": env,
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
    }
    if probes:
        spec["ports"] = [{"name": "http", "containerPort": port}]
        probe = lambda path, period: {"httpGet": {"path": path, "port": "http"}, "periodSeconds": period}
        spec["readinessProbe"] = probe("/health/ready", 5)
        spec["livenessProbe"] = {**probe("/health/live", 10), "failureThreshold": 3}
        spec["volumeMounts"] = [{"name": "tmp", "mountPath": "/tmp"}]
    return spec


def pod(service, containers, extra):
    return {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": containers,
        **extra,
    }


def manifests(service, shape):
    port, labels = shape["port"], {"app.kubernetes.io/name": service}
    env = env_of(service, port, shape["env"])
    return [
        {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": service, "labels": labels},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": pod(
                    service, [container(service, shape["command"], port, env, True)],
                    {"volumes": [{"name": "tmp", "emptyDir": {}}], "terminationGracePeriodSeconds": 30})},
            },
        },
        {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": service, "labels": labels},
            "spec": {"selector": labels, "ports": [{"name": "http", "port": port, "targetPort": "http"}]},
        },
        {
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": service, "labels": labels},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service},
                "minReplicas": 2, "maxReplicas": 6,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
            },
        },
        {
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": service, "labels": labels},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}},
        },
        {
            "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": f"{service}-migrate", "labels": labels},
            "spec": {"backoffLimit": 6, "template": {"metadata": {"labels": {"app.kubernetes.io/name": f"{service}-migrate"}}, "spec": pod(
                service, [container(service, ["migrate", service], port, env[:2], False)], {"restartPolicy": "OnFailure"})}},
        },
    ]


for service, shape in wiring.items():
    with open(f"{out}/{service}.yaml", "w") as file:
        file.write(f"# {service}: written by deploy/kubernetes/render.py from `groupbuy wiring`; do not edit.\n")
        yaml.safe_dump_all(manifests(service, shape), file, sort_keys=False, default_flow_style=False)
