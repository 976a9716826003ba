"""The proxies in infra/ as nginx itself reads and runs them (Debian's nginx, `make nginx`):
each file passes ``nginx -t``, then runs in front of a recording upstream, where every
request arrives (static files too), the client's own X-Forwarded-For is replaced by the
proxy's view of it, and a burst from one address gets 429 from nginx before the app.

The files are used as they are, with only what is the deployment's own put in by text:
ports, the upstream's address, a certificate made here. A substitution that no longer
finds its line fails, so the test cannot silently check something else."""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

INFRA = Path(__file__).resolve().parents[2] / "infra"
SPOOFED = "203.0.113.9"
BODY = b"ok " * 1000  # above nginx's gzip_min_length


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _nginx() -> str:
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if path is None:
        pytest.fail("nginx is not installed: `make nginx` (Debian package nginx-light)")
    return path


@dataclass
class Upstream:
    """An app stand-in: answers 200 to anything and records what reached it."""

    port: int
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


@pytest.fixture
def upstreams() -> Iterator[list[Upstream]]:
    running = []
    for _ in range(2):
        upstream = Upstream(_free_port())

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # nginx keeps its upstream connections alive
            disable_nagle_algorithm = True  # headers and body in two writes, no 40 ms wait

            def _answer(self, upstream=upstream) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                upstream.seen.append((self.command, self.path, dict(self.headers.items())))
                kind = "text/css" if self.path.endswith(".css") else "text/html; charset=utf-8"
                body = BODY
                self.send_response(200)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", upstream.port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        running.append((server, upstream))
    yield [upstream for _, upstream in running]
    for server, _ in running:
        server.shutdown()
        server.server_close()


def _substitute(text: str, old: str, new: str) -> str:
    assert old in text, f"the config no longer has {old!r}: update this test's substitution"
    return text.replace(old, new)


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bo.example.invalid")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Proxy:
    main: Path
    prefix: Path
    base_url: str
    plain_url: str | None = None  # nginx.conf's port 80 server (redirects to TLS)
    verify: ssl.SSLContext | bool = True  # the certificate made for the test, trusted

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, verify=self.verify, timeout=5)


def _prepare(name: str, tmp_path: Path, upstreams: list[Upstream]) -> Proxy:
    """The config ``name`` inside a minimal nginx main file, on free local ports."""
    text = (INFRA / name).read_text()
    port, plain = _free_port(), _free_port()
    if name == "nginx.conf":
        cert, key = _certificate(tmp_path)
        text = _substitute(text, "server 127.0.0.1:8001;", f"server 127.0.0.1:{upstreams[0].port};")
        text = _substitute(text, "server 127.0.0.1:8002;", f"server 127.0.0.1:{upstreams[1].port};")
        text = _substitute(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
        text = _substitute(text, "listen 80;", f"listen 127.0.0.1:{plain};")
        text = _substitute(text, "/etc/ssl/urna/fullchain.pem", str(cert))
        text = _substitute(text, "/etc/ssl/urna/privkey.pem", str(key))
        proxy = Proxy(tmp_path / "main.conf", tmp_path, f"https://127.0.0.1:{port}")
        proxy.plain_url = f"http://127.0.0.1:{plain}"
        proxy.verify = ssl.create_default_context(cafile=str(cert))
    else:
        text = _substitute(text, "server app:8000;", f"server 127.0.0.1:{upstreams[0].port};")
        text = _substitute(text, "listen 80;", f"listen 127.0.0.1:{port};")
        proxy = Proxy(tmp_path / "main.conf", tmp_path, f"http://127.0.0.1:{port}")
    (tmp_path / "site.conf").write_text(text)
    temp = "\n".join(
        f"  {kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    proxy.main.write_text(
        f"pid {tmp_path / 'nginx.pid'};\n"
        f"error_log {tmp_path / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  access_log off;\n{temp}\n  include {tmp_path / 'site.conf'};\n}}\n"
    )
    tmp_path.chmod(0o755)  # workers run as nginx's unprivileged user when started as root
    return proxy


def _nginx_args(proxy: Proxy) -> list[str]:
    return [_nginx(), "-p", str(proxy.prefix), "-c", str(proxy.main), "-e", "stderr"]


@contextmanager
def _running(name: str, tmp_path: Path, upstreams: list[Upstream]) -> Iterator[Proxy]:
    proxy = _prepare(name, tmp_path, upstreams)
    checked = subprocess.run([*_nginx_args(proxy), "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr  # `nginx -t`: the file as nginx reads it
    process = subprocess.Popen(
        [*_nginx_args(proxy), "-g", "daemon off;"], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            with proxy.client() as client:
                client.get("/healthz")
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"nginx did not start: {process.stderr.read()}")
            time.sleep(0.05)
    try:
        yield proxy
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(params=["nginx.conf", "nginx.compose.conf"])
def proxy(request, tmp_path, upstreams) -> Iterator[Proxy]:
    with _running(request.param, tmp_path, upstreams) as proxy:
        yield proxy


def test_every_request_reaches_the_app_with_the_proxys_view_of_the_client(proxy, upstreams):
    with proxy.client() as client:
        for path in ("/static/css/site.css", "/e/bo-2027/vote", "/favicon.ico", "/staff/login"):
            response = client.get(path, headers={"X-Forwarded-For": SPOOFED})
            assert response.status_code == 200, path
        posted = client.post("/e/bo-2027/vote", data={"acknowledge": "yes"})
        assert posted.status_code == 200
    seen = [item for upstream in upstreams for item in upstream.seen if item[1] != "/healthz"]
    paths = sorted(path for _, path, _ in seen)
    expected = ["/e/bo-2027/vote", "/e/bo-2027/vote", "/favicon.ico", "/static/css/site.css"]
    assert paths == sorted([*expected, "/staff/login"])
    for _, _, headers in seen:
        # overwritten with the address nginx saw, never the client's own appended
        assert headers["X-Forwarded-For"] == "127.0.0.1"
        assert SPOOFED not in str(headers)
        scheme = "https" if proxy.base_url.startswith("https") else "http"
        assert headers["X-Forwarded-Proto"] == scheme


@pytest.mark.parametrize("path", ["/", "/e/bo-2027/vote"])
def test_a_burst_from_one_address_is_answered_429_before_the_app(proxy, upstreams, path):
    sent = 150  # beyond either location's burst (60 pages, 40 forms) in well under a second
    with proxy.client() as client:
        statuses = [client.get(path).status_code for _ in range(sent)]
    assert set(statuses) == {200, 429}
    reached = sum(1 for upstream in upstreams for _, seen, _ in upstream.seen if seen == path)
    assert reached == statuses.count(200) < sent


def test_plain_http_is_sent_to_tls(tmp_path, upstreams):
    """nginx.conf's port 80 (the compose proxy speaks plain HTTP behind the platform's TLS)."""
    with _running("nginx.conf", tmp_path, upstreams) as proxy:
        response = httpx.get(proxy.plain_url + "/e/bo-2027?x=1", timeout=5)
    assert response.status_code == 301
    assert response.headers["location"] == "https://127.0.0.1/e/bo-2027?x=1"
    # answered by nginx itself: only the start-up's health probes reached the app
    assert {path for upstream in upstreams for _, path, _ in upstream.seen} == {"/healthz"}


def test_static_files_are_compressed_and_pages_never_are(proxy):
    """Styles and scripts gzipped for a phone on 3G; pages never (BREACH: a page carries
    the CSRF token beside what the visitor typed)."""
    gzip = {"Accept-Encoding": "gzip"}
    with proxy.client() as client:
        style = client.get("/static/css/urna.css", headers=gzip)
        page = client.get("/e/bo-2027/projects?q=ok", headers=gzip)
    assert style.headers["content-encoding"] == "gzip" and style.content == BODY
    assert "content-encoding" not in page.headers and page.content == BODY
