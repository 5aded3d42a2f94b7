"""A local S3 server for the tests (moto's, in a thread of the test process): run directories in a bucket.

:func:`s3_server` yields a :class:`Bucket`: ``uri(name)`` is an ``s3://`` URI of a folder in it that carries
the server's address as pyarrow's ``endpoint_override`` (so a ``wordinfo`` subprocess reaches it too), and
``fs`` a ``pyarrow.fs.S3FileSystem`` on it for looking at what a run wrote. The credentials are moto's
dummies, set in the environment, where pyarrow reads them.
"""

from __future__ import annotations

import contextlib
import os
import uuid

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


class Bucket:
    def __init__(self, endpoint: str, name: str):
        import pyarrow.fs as pafs
        self.endpoint, self.name = endpoint, name
        self.fs = pafs.S3FileSystem(endpoint_override=endpoint, scheme="http", region="us-east-1",
                                    allow_bucket_creation=True)
        self.fs.create_dir(name)

    def uri(self, folder: str | None = None, bucket: str | None = None) -> str:
        """``s3://BUCKET/FOLDER?endpoint_override=...``; a new folder name by default."""
        folder = folder or f"run-{uuid.uuid4().hex[:8]}"
        return f"s3://{bucket or self.name}/{folder}?endpoint_override={self.endpoint}&scheme=http"

    def key(self, uri: str) -> str:
        """The ``bucket/folder`` path of a URI of :meth:`uri`, for :attr:`fs`."""
        return uri.split("://", 1)[1].split("?", 1)[0]

    def files(self, uri: str) -> list[str]:
        """Every object under a folder, as paths relative to it."""
        import pyarrow.fs as pafs
        base = self.key(uri)
        infos = self.fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
        return sorted(i.path[len(base) + 1:] for i in infos if i.type == pafs.FileType.File)


@contextlib.contextmanager
def s3_server():
    from moto.server import ThreadedMotoServer
    saved = {k: os.environ.get(k) for k in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server._server.server_address     # port 0: the one the system chose
        yield Bucket(f"http://{host}:{port}", "wordinfo-tests")
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
