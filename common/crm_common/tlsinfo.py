"""Certificate fingerprints, computed the same way by the server (``crm-server cert``) and
the client (the trust prompt, the signer of an update), with the standard library only."""

from __future__ import annotations

import hashlib
import ssl


def fingerprint(pem: str) -> str:
    """SHA-256 of the certificate's DER bytes as colon-separated upper-case hex."""
    return der_fingerprint(ssl.PEM_cert_to_DER_cert(pem))


def der_fingerprint(der: bytes) -> str:
    """``fingerprint`` of a certificate given as DER bytes."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
