"""The files connector: a folder of ``<table>.csv`` / ``<table>.parquet`` in the import format.

The folder is local (``--path /srv/exports``) or in an S3-compatible bucket
(``--path s3://bucket/exports``; AWS, or MinIO/R2/... through ``--endpoint-url`` or the
``S3_ENDPOINT_URL`` setting), read through pyarrow's filesystems. Picked up on the sync
schedule: a file is loaded when it is new or has changed (size or modification time)
since the last sync. One file is one batch; the cursor remembers each loaded file's
signature, so a file is loaded once per change.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from connectors.base import Batch, ConnectorContext, Option, dump_cursor, load_cursor
from connectors.errors import ConnectorConfigError, CredentialError, TransientError
from storage.errors import ImportError_
from storage.importer import tables_of_files

S3_PREFIX = "s3://"


class Folder:
    """A folder on some filesystem: its files' names and signatures, and their bytes."""

    def __init__(self, filesystem: pafs.FileSystem, root: str, label: str) -> None:
        self.filesystem = filesystem
        self.root = root.rstrip("/")
        self.label = label

    def signatures(self) -> dict[str, str]:
        """File name → ``size:mtime`` of the folder's files (not its sub-folders)."""
        try:
            infos = self.filesystem.get_file_info(pafs.FileSelector(self.root, allow_not_found=False))
        except FileNotFoundError:
            raise ConnectorConfigError(f"{self.label} is not a folder; reconnect with --path "
                                       "pointing at an existing one") from None
        except OSError as exc:
            raise _os_problem(exc, self.label) from None
        return {info.base_name: f"{info.size}:{info.mtime_ns}" for info in infos
                if info.type == pafs.FileType.File}

    def read(self, name: str) -> pa.Table:
        """A file as an Arrow table; CSV cells stay text so the importer's rules apply unchanged."""
        path = f"{self.root}/{name}"
        try:
            with self.filesystem.open_input_file(path) as fh:
                data = fh.read()
        except OSError as exc:
            raise _os_problem(exc, f"{self.label}/{name}") from None
        if name.lower().endswith(".parquet"):
            return pq.read_table(pa.BufferReader(data))
        return _read_csv(name, data)


def _read_csv(name: str, data: bytes) -> pa.Table:
    text = io.StringIO(data.decode("utf-8-sig", errors="replace"))
    header = next(csv.reader(text), [])
    if not header:
        raise ImportError_(f"{name}: the file is empty; it needs a header row")
    convert = pacsv.ConvertOptions(column_types={column: pa.string() for column in header},
                                   strings_can_be_null=True, null_values=[""],
                                   quoted_strings_can_be_null=True)
    try:
        return pacsv.read_csv(pa.BufferReader(data.removeprefix(b"\xef\xbb\xbf")),
                              read_options=pacsv.ReadOptions(encoding="utf8"),
                              convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise ImportError_(f"{name}: cannot be read as CSV ({str(exc).splitlines()[0]})") from exc


def _os_problem(exc: OSError, where: str) -> Exception:
    """A bucket's error in words: credentials to fix, or a transient failure to retry."""
    message = str(exc)
    words = message.replace("_", "").replace(" ", "").lower()  # "NO_SUCH_BUCKET", "NoSuchBucket"
    if any(code in words for code in ("accessdenied", "invalidaccesskeyid", "signaturedoesnotmatch",
                                      "expiredtoken", "forbidden")):
        return CredentialError(f"{where}: the bucket refused the credentials; reconnect with a "
                               "key that can list and read it (FILES_ACCESS_KEY_ID and "
                               "FILES_SECRET_ACCESS_KEY, or --access-key-id-file and "
                               "--secret-access-key-file)")
    if "nosuchbucket" in words:
        return ConnectorConfigError(f"{where}: no such bucket; check --path s3://BUCKET/FOLDER")
    return TransientError(f"{where}: could not be read ({message.splitlines()[0][:200]}); "
                          "the next sync tries again")


class FilesConnector:
    """Loads changed files from a local folder or an S3-compatible bucket.

    Options:
        path: the folder (``/srv/exports`` or ``s3://bucket/exports``).
        endpoint_url: an S3-compatible endpoint (MinIO, R2, ...); AWS when unset.
        region: the bucket's region (S3 only).
        access_key_id, secret_access_key: the bucket's credentials (secret; S3 only; the
            environment's AWS credentials when unset).
    """

    name: ClassVar[str] = "files"
    streams: ClassVar[tuple[str, ...]] = ("files",)
    options: ClassVar[tuple[Option, ...]] = (
        Option("path", "the folder of <table>.csv/.parquet files (a path or s3://bucket/folder)"),
        Option("endpoint_url", "S3-compatible endpoint for s3:// paths (default: AWS)", required=False),
        Option("region", "the bucket's region (s3:// paths)", required=False),
        Option("access_key_id", "the bucket's access key id (s3:// paths)", secret=True, required=False),
        Option("secret_access_key", "the bucket's secret key (s3:// paths)", secret=True, required=False),
    )

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context
        path = str(context.options.get("path") or "")
        if not path:
            raise ConnectorConfigError("the files connector needs --path FOLDER (or s3://bucket/folder)")
        self.folder = self._s3(path) if path.startswith(S3_PREFIX) else self._local(path)

    def _local(self, path: str) -> Folder:
        folder = Path(path).expanduser().resolve()
        return Folder(pafs.LocalFileSystem(), str(folder), str(folder))

    def _s3(self, path: str) -> Folder:
        options, secrets = self.context.options, self.context.secrets
        endpoint = options.get("endpoint_url") or self.context.settings.s3_endpoint_url
        scheme, _, host = str(endpoint or "").rpartition("://")
        filesystem = pafs.S3FileSystem(
            access_key=secrets.get("access_key_id") or None,
            secret_key=secrets.get("secret_access_key") or None,
            region=str(options.get("region") or "us-east-1"),
            endpoint_override=host or None, scheme=scheme or "https",
            connect_timeout=10, request_timeout=60)
        return Folder(filesystem, path.removeprefix(S3_PREFIX), path.rstrip("/"))

    async def check(self) -> str:
        """Checks that the folder exists and holds only files of the import format."""
        signatures = await asyncio.to_thread(self.folder.signatures)
        try:
            files = tables_of_files(signatures, self.folder.label)
        except ImportError_ as exc:
            if "holds no" in str(exc):  # an empty folder is fine: files may arrive later
                return f"folder {self.folder.label} (empty for now)"
            raise
        return f"folder {self.folder.label} ({len(files)} files)"

    async def sync(self, stream: str, cursor: str | None) -> AsyncIterator[Batch]:
        """Yields one batch per new or changed file, in data-model order."""
        seen = load_cursor(cursor)
        signatures = await asyncio.to_thread(self.folder.signatures)
        try:
            files = tables_of_files(signatures, self.folder.label)
        except ImportError_ as exc:
            if "holds no" in str(exc):
                return
            raise
        for table, name in files:
            if seen.get(name) == signatures[name]:
                continue
            data = await asyncio.to_thread(self.folder.read, name)
            seen[name] = signatures[name]
            yield Batch(stream, {table: data}, dump_cursor(seen))
