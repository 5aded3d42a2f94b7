"""The lock of a run directory in an object store, where there is no ``flock``: a lease its holder renews.

:class:`wordinfo.runs.store.Lock` uses it for a :class:`~wordinfo.remote.RemotePath` run directory.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid

from ..errors import WordinfoError
from ..remote import RemotePath  # noqa: TC001 - the type of Lease.path


class Lease:
    """An exclusive lock on a run directory in an object store: the object ``.lock`` names its holder (host,
    process, a random token) and when it was last renewed; a thread renews it every ``seconds / 4``.

    Another run refuses the directory while the holder is alive: on the same host while its process exists,
    from another host while the lease was renewed within ``seconds``. A run killed with ``kill -9`` leaves the
    object; the same command on the same host takes it over at once, elsewhere after ``seconds``. Object
    stores (through pyarrow) have no create-if-absent, so two runs started in the same second could both
    write it: each reads it back after a pause and only the one whose token is there goes on."""

    seconds = 120.0
    settle = 0.5          # pause between writing the lease and reading it back

    def __init__(self, path: RemotePath):
        self.path = path
        self.record = {"host": socket.gethostname(), "pid": os.getpid(), "token": uuid.uuid4().hex}
        self._stop = threading.Event()
        self._thread = None

    def holder(self) -> dict | None:
        """The lease's record, or None where there is none (or only a ``.lock`` no wordinfo run could hold)."""
        if not self.path.is_file():
            return None
        try:
            record = json.loads(self.path.read_text())
        except (ValueError, UnicodeDecodeError):
            return None
        return record if is_lease_record(record) else None

    def alive(self, record: dict) -> bool:
        if record["host"] == socket.gethostname():
            try:
                os.kill(int(record["pid"]), 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return time.time() - float(record["renewed"]) < self.seconds

    def _write(self) -> None:
        self.path.write_bytes(json.dumps({**self.record, "renewed": time.time()}).encode())

    def __enter__(self):
        held = self.holder()
        if held is not None and held.get("token") != self.record["token"] and self.alive(held):
            raise self._busy(held)
        self._write()
        time.sleep(self.settle)
        held = self.holder()
        if held is None or held.get("token") != self.record["token"]:
            raise self._busy(held or {})
        self._thread = threading.Thread(target=self._renew, name="wordinfo-lease", daemon=True)
        self._thread.start()
        return self

    def ensure(self) -> None:
        """Refuse, in one line, to write on once the lease is another run's (taken over while this run could not
        renew it: a network cut longer than :attr:`seconds`). Read before every part, so two runs never both
        write parts after a takeover."""
        held = self.holder()
        if held is None or held.get("token") != self.record["token"]:
            who = f"process {held.get('pid')} on {held.get('host')}" if held else "nobody"
            raise WordinfoError(f"this run lost its lease on {str(self.path.parent)!r} (now held by {who}): "
                                "stopped; the finished parts are kept, run the same command when the other run is "
                                "done")

    def _renew(self) -> None:
        while not self._stop.wait(self.seconds / 4):
            try:
                held = self.holder()
                if held is not None and held.get("token") != self.record["token"]:
                    return              # taken over: never written back over the new holder (ensure() says so)
                self._write()
            except Exception:  # noqa: BLE001 - a missed renewal is retried; the lease lasts `seconds`
                pass

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        held = self.holder()
        if held is not None and held.get("token") == self.record["token"]:
            self.path.unlink(missing_ok=True)

    def _busy(self, held: dict) -> WordinfoError:
        who = f" (process {held.get('pid')} on {held.get('host')})" if held else ""
        return WordinfoError(f"another wordinfo run{who} is writing to {str(self.path.parent)!r}: wait for it to "
                             f"finish or stop it first (a lease not renewed for {self.seconds:.0f} s is taken over)")


def is_lease_record(record) -> bool:
    return isinstance(record, dict) and {"host", "pid", "token", "renewed"} <= set(record)
