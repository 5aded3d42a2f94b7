"""Killing a ``wordinfo run`` subprocess with SIGKILL once it has written some parts (the resume tests)."""

from __future__ import annotations

import signal
import subprocess
import time

from wordinfo.runs import store


def kill_after_parts(cmd: list[str], env: dict, rundir, parts: int = 3, timeout: float = 120) -> int:
    """Start ``cmd``, SIGKILL it as soon as ``rundir`` (a folder or a bucket's URI) holds ``parts`` parts, and
    return how many it holds then; fails the test if the run ended before it could be killed."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + timeout
    while len(store.part_files(rundir)) < parts and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be killed: " + proc.stderr.read().decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return len(store.part_files(rundir))
