"""The server's own private CA and the HTTPS certificate it issues.

Most of our customers have no company PKI, so ``crm-server init`` creates a private CA in the
data directory and issues the server certificate from it. Clients pin the CA (its SHA-256
fingerprint is what IT reads out to users), so the server certificate can be re-issued or
renewed without anyone re-trusting anything. A company certificate configured in
``tls_cert``/``tls_key`` is used as it is and never touched.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import sys
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from crm_common.tlsinfo import fingerprint
from crm_server.settings import Settings

CA_LIFETIME = dt.timedelta(days=3650)
SERVER_LIFETIME = dt.timedelta(days=730)
RENEW_BEFORE = dt.timedelta(days=30)
# Certificates start an hour in the past so a client whose clock is slightly behind accepts them.
CLOCK_SKEW = dt.timedelta(hours=1)
LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"]
SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address

PrivateKey = ec.EllipticCurvePrivateKey


class TlsError(Exception):
    """TLS material is missing or inconsistent; the message tells IT what to do."""


def ensure_ca(settings: Settings) -> None:
    """Create the private CA unless its certificate exists. An existing CA key is reused, never
    replaced: a new key would invalidate every client's pin."""
    cert_path = settings.path(settings.tls_ca_cert)
    if cert_path.exists():
        return
    key_path = settings.path(settings.tls_ca_key)
    key = _load_key(key_path) if key_path.exists() else _new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"CRM Private CA {_hostname()}")])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    if not key_path.exists():
        _write_private(key_path, _key_pem(key))
    _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def issue_server_certificate(settings: Settings, hosts: list[str] | None = None) -> Path:
    """Issue the server certificate from the private CA for ``hosts`` (default: this machine's
    names and addresses) and write it as a chain (leaf, then CA) next to a new key."""
    ca_cert, ca_key = _load_ca(settings)
    names = hosts or default_hosts()
    key = _new_key()
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(min(now + SERVER_LIFETIME, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(_general_names(names)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path = settings.path(settings.tls_cert)
    _write_private(settings.path(settings.tls_key), _key_pem(key))
    chain = [c.public_bytes(serialization.Encoding.PEM) for c in (cert, ca_cert)]
    _write_public(cert_path, b"".join(chain))
    return cert_path


def ensure_tls(settings: Settings, hosts: list[str] | None = None) -> None:
    """Make sure the server has a certificate to serve: create the CA and issue one when none
    is configured, renew our own when it is about to expire, leave a company one alone."""
    cert_path = settings.path(settings.tls_cert)
    key_path = settings.path(settings.tls_key)
    if cert_path.exists() != key_path.exists():
        present, missing = (cert_path, key_path) if cert_path.exists() else (key_path, cert_path)
        raise TlsError(f"{present} exists but {missing} does not; restore it or remove both")
    if not cert_path.exists():
        ensure_ca(settings)
        issue_server_certificate(settings, hosts)
    elif is_issued_by_our_ca(settings) and _expires_soon(cert_path):
        issue_server_certificate(settings, certificate_hosts(cert_path))


def server_ssl_context(settings: Settings) -> ssl.SSLContext:
    """The context the HTTPS listener uses: our certificate chain, TLS 1.2 or newer."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(settings.path(settings.tls_cert), settings.path(settings.tls_key))
    return context


def ca_fingerprint(settings: Settings) -> str:
    """The fingerprint users compare when the client asks them to trust this server."""
    ca_path = settings.path(settings.tls_ca_cert)
    if not ca_path.exists():
        raise TlsError(f"no CA certificate at {ca_path}; run `crm-server cert` or set tls_ca_cert")
    return fingerprint(ca_path.read_text("ascii"))


def is_issued_by_our_ca(settings: Settings) -> bool:
    """Whether the configured server certificate was signed by the CA in ``tls_ca_cert`` and
    we hold that CA's key, i.e. whether we may replace it."""
    configured = (settings.tls_cert, settings.tls_ca_cert, settings.tls_ca_key)
    paths = [settings.path(p) for p in configured]
    if not all(p.exists() for p in paths):
        return False
    leaf = x509.load_pem_x509_certificate(paths[0].read_bytes())
    ca_cert = x509.load_pem_x509_certificate(paths[1].read_bytes())
    try:
        leaf.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def certificate_hosts(cert_path: Path) -> list[str]:
    """The DNS names and IP addresses a certificate is valid for, in its own order."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(entry.value) for entry in san if isinstance(entry, x509.DNSName | x509.IPAddress)]


def default_hosts() -> list[str]:
    """Every name and address clients on the company network may use for this machine,
    discovered locally (no DNS server or internet needed)."""
    names = [_hostname(), socket.getfqdn(), *LOOPBACK_NAMES, *_local_ipv4_addresses()]
    return list(dict.fromkeys(n for n in names if n))


def _local_ipv4_addresses() -> list[str]:
    found = set(_resolved_ipv4(_hostname())) | set(_interface_ipv4())
    usable = [a for a in found if not (a.is_loopback or a.is_link_local or a.is_unspecified)]
    return [str(a) for a in sorted(usable)]


def _resolved_ipv4(host: str) -> list[ipaddress.IPv4Address]:
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET)
    except OSError:
        return []
    return [ipaddress.IPv4Address(info[4][0]) for info in infos]


def _interface_ipv4() -> list[ipaddress.IPv4Address]:
    """Addresses of the network interfaces; Linux only (the server platform), where the
    host name often resolves to 127.0.1.1 and hides the real address."""
    if not sys.platform.startswith("linux"):
        return []
    import fcntl
    import struct

    try:
        interfaces = socket.if_nameindex()
    except OSError:  # netlink refused, e.g. by the service's RestrictAddressFamilies
        return []
    addresses = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in interfaces:
            request = struct.pack("256s", name.encode()[:15])
            try:
                reply = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
            except OSError:  # interface without an IPv4 address
                continue
            addresses.append(ipaddress.IPv4Address(reply[20:24]))
    return addresses


def _general_names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host.encode("idna").decode("ascii")))
    return names


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _load_ca(settings: Settings) -> tuple[x509.Certificate, PrivateKey]:
    cert_path = settings.path(settings.tls_ca_cert)
    key_path = settings.path(settings.tls_ca_key)
    for path in (cert_path, key_path):
        if not path.exists():
            raise TlsError(
                f"{path} is missing, so this server cannot issue its own certificate; "
                "configure a company certificate in tls_cert/tls_key instead"
            )
    return x509.load_pem_x509_certificate(cert_path.read_bytes()), _load_key(key_path)


def _expires_soon(cert_path: Path) -> bool:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return cert.not_valid_after_utc - _now() < RENEW_BEFORE


def _new_key() -> PrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _load_key(path: Path) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TlsError(f"{path} is not an EC private key")
    return key


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, data: bytes) -> None:
    _write_atomically(path, data, 0o600)


def _write_public(path: Path, data: bytes) -> None:
    _write_atomically(path, data, 0o644)


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Write through a temporary file (created 0600) and rename, so a crash never leaves a
    half-written key and a key is never readable by others, not even for a moment."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _hostname() -> str:
    return socket.gethostname()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
