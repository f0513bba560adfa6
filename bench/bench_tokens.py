"""Test tokens for the benchmarks' drivers: HS256 JWTs signed with the suite's secret, as
`groupbuy token` makes them."""

import base64
import hashlib
import hmac
import json
import time


def token(secret: bytes, subject: str, role: str = "shopper") -> str:
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
    now = int(time.time())
    claims = {"sub": subject, "role": role, "iss": "groupbuy", "aud": "groupbuy", "iat": now, "exp": now + 7200}
    signing = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + b"." + b64(json.dumps(claims).encode())
    return (signing + b"." + b64(hmac.new(secret, signing, hashlib.sha256).digest())).decode()
