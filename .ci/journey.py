"""What the journeys against a running `groupbuy up` share: development tokens and HTTP calls."""

import json
import subprocess
import time
import urllib.error
import urllib.request


def tokens(data):
    """A token maker for the suite whose data folder is `data`."""

    def token(role, subject=None, supplier=None):
        args = ["target/debug/groupbuy", "token", "--role", role, "--data-dir", data]
        args += ["--subject", subject] if subject else []
        args += ["--supplier-id", supplier] if supplier else []
        return subprocess.check_output(args, text=True).strip()

    return token


def call(method, url, bearer=None, body=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("content-type", "application/json")
    if bearer:
        request.add_header("authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def ok(method, url, bearer=None, body=None, expect=(200, 201)):
    status, answer = call(method, url, bearer, body)
    assert status in expect, f"{method} {url}: {status} {answer}"
    return answer


def until(what, check, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
