"""Paths on a filesystem pyarrow knows (``s3://``, ``gs://``, ``hdfs://``...): run directories off this machine.

:func:`location` turns what a user gives as a run directory into a :class:`pathlib.Path`, or,
for a URI, a :class:`RemotePath`: the few ``pathlib`` operations a run directory needs
(``/``, ``exists``, ``iterdir``, ``read_text``, ``open``, ``unlink``...), done through the
``pyarrow.fs`` filesystem the URI names. So the run store, its integrity checks, the summary
and the report read and write one kind of object whether the run is on a local disk or in a
bucket. A URI may carry pyarrow's options as a query (``s3://bucket/run?region=eu-west-1``,
``?endpoint_override=http://host:9000&scheme=http`` for MinIO or a test server); credentials
come from the environment, as pyarrow reads them.

What changes on an object store, and how each guarantee of a run directory is kept:

- **Whole or absent.** A local file is written to a temporary name and renamed. An object store
  has no rename, but an object appears only when its upload completes (S3's PUT and multipart
  upload, GCS's resumable upload): :meth:`RemotePath.upload` writes the finished local file
  in one upload, so a killed writer leaves the old object or the new one, never half of one, and
  no temporary object at all.
- **One writer.** ``flock`` does not exist there: :class:`wordinfo.runs.lease.Lease` is a lock object that
  its holder renews; another run refuses it while it is alive, and takes over one left by a killed run.
- **Setting aside** a damaged part is ``move`` (a copy and a delete on S3).

Why by hand: ``universal_pathlib`` gives a pathlib API over fsspec, but needs ``s3fs``/``gcsfs``
(aiobotocore and more) beside the native S3 and GCS filesystems that ship inside pyarrow,
already a dependency; what runs need is a couple of hundred lines over ``pyarrow.fs``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from .errors import WordinfoError

URI = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")


def is_uri(value) -> bool:
    """A ``scheme://`` string other than ``file://`` (which is a local path)."""
    m = URI.match(str(value)) if isinstance(value, str) else None
    return bool(m) and m.group("scheme").lower() != "file"


def location(value) -> "Path | RemotePath":
    """A run directory as given: a :class:`RemotePath` for a URI, else a ``Path`` (``file://`` stripped)."""
    if isinstance(value, RemotePath):
        return value
    if isinstance(value, str) and is_uri(value):
        return RemotePath.from_uri(value)
    if isinstance(value, str) and value.startswith("file://"):
        return Path(value[len("file://"):])
    return Path(value)


def _arrow_error(e: Exception) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__


class _Stat:
    def __init__(self, size):
        self.st_size = size


class RemotePath:
    """A file or folder on a ``pyarrow.fs`` filesystem, with the pathlib operations runs use (see the module)."""

    def __init__(self, fs, path: str, scheme: str, info=None):
        self.fs, self.path, self.scheme = fs, str(PurePosixPath(path)), scheme
        self._listed = info       # what the folder listing said (iterdir): no request per entry

    @classmethod
    def from_uri(cls, uri: str) -> "RemotePath":
        import pyarrow.fs as pafs
        try:
            fs, path = pafs.FileSystem.from_uri(uri)
        except Exception as e:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError, ValueError by scheme
            raise WordinfoError(f"cannot open {uri!r} ({_arrow_error(e)}): give a URI pyarrow knows (s3://BUCKET/"
                                "PATH, gs://BUCKET/PATH, hdfs://...) or a local path") from None
        return cls(fs, path, URI.match(uri).group("scheme").lower())

    # ---- names (as PurePath)
    def _child(self, path: str) -> "RemotePath":
        return RemotePath(self.fs, path, self.scheme)

    def __truediv__(self, name) -> "RemotePath":
        return self._child(f"{self.path}/{name}")

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def stem(self) -> str:
        return PurePosixPath(self.path).stem

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.path).suffix

    @property
    def parent(self) -> "RemotePath":
        return self._child(str(PurePosixPath(self.path).parent))

    def with_suffix(self, suffix: str) -> "RemotePath":
        return self._child(str(PurePosixPath(self.path).with_suffix(suffix)))

    def with_name(self, name: str) -> "RemotePath":
        return self._child(str(PurePosixPath(self.path).with_name(name)))

    def relative_to(self, other: "RemotePath") -> PurePosixPath:
        return PurePosixPath(self.path).relative_to(other.path)

    def resolve(self) -> "RemotePath":
        return self

    def __str__(self) -> str:
        return f"{self.scheme}://{self.path}"

    def __repr__(self) -> str:
        return f"RemotePath({str(self)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, RemotePath) and (self.scheme, self.path) == (other.scheme, other.path)

    def __hash__(self) -> int:
        return hash((self.scheme, self.path))

    def __lt__(self, other: "RemotePath") -> bool:
        return self.path < other.path

    # ---- what is there
    def _info(self):
        if self._listed is not None:
            return self._listed
        try:
            return self.fs.get_file_info(self.path)
        except Exception as e:  # noqa: BLE001
            raise WordinfoError(f"cannot reach {self} ({_arrow_error(e)}): check the URI, the network and the "
                                "credentials") from None

    def exists(self) -> bool:
        import pyarrow.fs as pafs
        return self._info().type != pafs.FileType.NotFound

    def is_file(self) -> bool:
        import pyarrow.fs as pafs
        return self._info().type == pafs.FileType.File

    def is_dir(self) -> bool:
        import pyarrow.fs as pafs
        return self._info().type == pafs.FileType.Directory

    def stat(self) -> _Stat:
        return _Stat(self._info().size)

    def iterdir(self):
        import pyarrow.fs as pafs
        infos = self.fs.get_file_info(pafs.FileSelector(self.path, recursive=False))
        return iter(sorted(RemotePath(self.fs, i.path, self.scheme, i) for i in infos))

    # ---- reading and writing
    def open(self, mode: str = "rb"):
        if mode == "rb":
            return self.fs.open_input_file(self.path)
        if mode == "wb":
            return self.fs.open_output_stream(self.path)
        raise ValueError(f"RemotePath.open takes 'rb' or 'wb', not {mode!r}")

    def read_bytes(self) -> bytes:
        with self.open("rb") as f:
            return f.read()

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def upload(self, local: Path) -> None:
        """``local``'s bytes as this object, in one upload: readers see the old object or all of the new one."""
        with open(local, "rb") as src, self.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)

    def write_via(self, write, before_upload=None) -> "RemotePath":
        """:func:`wordinfo.files.write_atomic` for an object: ``write(tmp)`` to a local temporary file, then
        ``before_upload(tmp)``, then one :meth:`upload`. A failure is one line naming this object."""
        with tempfile.TemporaryDirectory(prefix="wordinfo-") as d:
            tmp = Path(d) / self.name
            write(tmp)
            if before_upload is not None:
                before_upload(tmp)
            try:
                self.upload(tmp)
            except Exception as e:  # noqa: BLE001 - pyarrow's errors differ by filesystem
                raise WordinfoError(f"cannot write {self} ({_arrow_error(e)}): check the credentials and "
                                    "that the bucket exists") from None
        return self

    def write_bytes(self, data: bytes) -> None:
        with self.open("wb") as f:
            f.write(data)

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        if self.is_dir():
            if not exist_ok:
                raise FileExistsError(str(self))
            return
        self.fs.create_dir(self.path, recursive=parents)

    def unlink(self, missing_ok: bool = False) -> None:
        if missing_ok and not self.exists():
            return
        self.fs.delete_file(self.path)

    def replace(self, target: "RemotePath") -> "RemotePath":
        self.fs.move(self.path, target.path)
        return target

    def check_writable(self, what: str, folder: bool, fix: str) -> None:
        """The checks of :func:`wordinfo.files.check_writable` that an object store allows: the bucket is there,
        and a file does not stand where a folder is wanted (or the reverse). Creates nothing."""
        def fail(why: str):
            raise WordinfoError(f"{what} {str(self)!r} cannot be written: {why}; {fix}")
        bucket = self._child(self.path.split("/")[0])
        if not bucket.is_dir():
            fail(f"{bucket} does not exist (or these credentials cannot see it)")
        if folder and self.is_file():
            fail("it is a file, not a folder")
        if not folder and self.is_dir():
            fail("it is a folder")


def replace(source, target) -> None:
    """Move ``source`` to ``target`` (both local or both remote): ``os.replace`` or the filesystem's move."""
    if isinstance(source, RemotePath):
        source.replace(target)
    else:
        os.replace(source, target)


def arrow_path(path) -> tuple[str, object]:
    """``(path, filesystem)`` for pyarrow's readers (``filesystem`` None for a local file)."""
    return (path.path, path.fs) if isinstance(path, RemotePath) else (str(path), None)
