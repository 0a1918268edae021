"""Run N GRU Lab replicas (``streamlit run app.py``) behind nginx with sticky sessions, on localhost ports.

    python deploy/serve_replicas.py --replicas 2 --port 8850            # students open http://127.0.0.1:8850
    python deploy/serve_replicas.py --replicas 3 --port 80 --first-replica-port 8501

Each replica is an ordinary Streamlit process with the repo's .streamlit/config.toml; nginx (Debian's package,
``apt-get install -y nginx``) is started in the foreground from deploy/nginx.conf.template with a private prefix
folder, so no system nginx configuration is touched. Ctrl-C stops nginx and every replica. tests/deploy drives the
same code (``replicas_behind_nginx``).
"""
from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.serve import running_server  # noqa: E402

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_config(listen: str, replica_ports: list[int], prefix: Path) -> str:
    """The nginx configuration (deploy/nginx.conf.template filled in); ``listen``: "address:port"."""
    upstreams = "\n".join(f"        server 127.0.0.1:{p};" for p in replica_ports)
    text = TEMPLATE.read_text()
    for key, value in (("PREFIX", str(prefix)), ("LISTEN", str(listen)), ("UPSTREAMS", upstreams)):
        text = text.replace("${" + key + "}", value)
    return text


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def running_nginx(listen: int, replica_ports: list[int], host: str = "127.0.0.1") -> Iterator[str]:
    """nginx in the foreground in front of the replicas; yields its base URL; stops it (by its pid)."""
    prefix = Path(tempfile.mkdtemp(prefix="gru-lab-nginx-"))
    prefix.chmod(0o755)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir()
        (prefix / sub).chmod(0o777)          # nginx started as root runs its worker as an unprivileged user
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(f"{host}:{listen}", replica_ports, prefix))
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=open(prefix / "stderr.log", "w"))
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{listen}"
    try:
        _wait_http(base + "/_stcore/health", proc)
        yield base
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(prefix, ignore_errors=True)


@contextlib.contextmanager
def replicas_behind_nginx(n: int, listen: int, replica_ports: list[int],
                          host: str = "127.0.0.1") -> Iterator[tuple[str, list[str]]]:
    """Start ``n`` replicas on ``replica_ports`` and nginx on ``listen``; yields (nginx URL, replica URLs)."""
    if len(replica_ports) < n:
        raise ValueError(f"need {n} replica ports, got {replica_ports}")
    with contextlib.ExitStack() as stack:
        bases = [stack.enter_context(running_server("app.py", port=p, cwd=ROOT)) for p in replica_ports[:n]]
        yield stack.enter_context(running_nginx(listen, replica_ports[:n], host)), bases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicas", type=int, default=2, help="number of Streamlit processes (default 2)")
    ap.add_argument("--port", type=int, default=8850, help="the port nginx listens on (students open it)")
    ap.add_argument("--host", default="127.0.0.1", help="address nginx listens on (0.0.0.0 for a classroom network)")
    ap.add_argument("--first-replica-port", type=int, default=8851, help="replicas use this port and the next ones")
    args = ap.parse_args(argv)
    if args.replicas < 1:
        ap.error("--replicas must be at least 1")
    ports = list(range(args.first_replica_port, args.first_replica_port + args.replicas))
    with replicas_behind_nginx(args.replicas, args.port, ports, args.host) as (base, _):
        print(f"GRU Lab: {args.replicas} replicas on ports {ports[0]}-{ports[-1]} behind nginx at {base} "
              "(Ctrl-C stops everything)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
