"""A local Ray cluster for the tests: a host process that ``ray.init``s 2 CPUs with the dashboard (whose state API
finds an actor's process) and lives until its stdin closes, so that it stops with the tests and never touches
another Ray on the machine.

Ray >= 2.59 authenticates every client of a cluster with a token that it reads when it is imported:
:func:`share_token` sets one in this process's environment, before anything imports ``ray``, for the
host, the drivers (in-process and subprocesses) and a second node alike.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys

HOST = """
import sys, ray
ray.init(address="local", num_cpus={cpus}, include_dashboard=True, dashboard_port={port}, log_to_driver=False)
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()
"""


def share_token() -> None:
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def local_cluster(cpus: int = 2):
    """``(address, dashboard_url)`` of a fresh Ray cluster, stopped on exit."""
    port = free_port()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0"}
    host = subprocess.Popen([sys.executable, "-c", HOST.format(cpus=cpus, port=port)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)
    address = host.stdout.readline().strip()
    try:
        assert address, "the Ray host process did not start"
        yield address, f"http://127.0.0.1:{port}"
    finally:
        host.stdin.close()
        host.wait(timeout=120)
