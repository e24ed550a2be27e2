"""The files connector on an S3-compatible bucket: moto's S3 server on loopback stands in for AWS."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import boto3
import pytest
from moto.server import ThreadedMotoServer

from bot.app import App
from connectors.errors import ConnectorConfigError, TransientError
from connectors.service import Connections
from storage.errors import ImportError_
from tests.connectors.conftest import make_settings
from tests.connectors.test_files import ORDERS

KEY_ID, SECRET = "AKIAFAKEFAKEFAKE", "fake-secret-key"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_url):
    client = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1",
                          aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
    name = f"exports-{id(client)}"
    client.create_bucket(Bucket=name)
    return client, name


@pytest.fixture
def app(tmp_path, s3_url) -> Iterator[App]:
    app = App(make_settings(tmp_path / "data", S3_ENDPOINT_URL=s3_url))
    app.workspaces.create("acme")
    yield app
    app.close()


def _connect(app: App, path: str, **extra: str) -> Connections:
    connections = Connections(app)
    asyncio.run(connections.connect("acme", "files", {
        "path": path, "access_key_id": KEY_ID, "secret_access_key": SECRET, **extra}))
    return connections


def test_a_bucket_folder_syncs_each_file_once_until_it_changes(app, bucket):
    client, name = bucket
    client.put_object(Bucket=name, Key="shop/orders.csv", Body=ORDERS.encode())
    client.put_object(Bucket=name, Key="other/customers.csv", Body=b"not,for,us\n")
    connections = _connect(app, f"s3://{name}/shop")

    first = asyncio.run(connections.sync("acme", "files"))
    again = asyncio.run(connections.sync("acme", "files"))
    client.put_object(Bucket=name, Key="shop/orders.csv", Body=ORDERS.replace("50.5", "60").encode())
    changed = asyncio.run(connections.sync("acme", "files"))

    assert (first.rows, again.rows, changed.rows) == ({"orders": 2}, {}, {"orders": 2})
    assert app.workspaces.warehouse("acme").fetch("SELECT order_id, total FROM orders ORDER BY 1") == [
        ("o1", Decimal("105.0000")), ("o2", Decimal("60.0000"))]


def test_a_bad_file_in_the_bucket_names_the_file_and_writes_nothing(app, bucket):
    client, name = bucket
    client.put_object(Bucket=name, Key="drop/orders.csv", Body=ORDERS.replace("105", "lots").encode())
    connections = _connect(app, f"s3://{name}/drop")

    with pytest.raises(ImportError_, match="orders, row 1, column total") as error:
        asyncio.run(connections.sync("acme", "files"))

    assert "'lots'" in str(error.value)
    assert app.workspaces.warehouse("acme").fetch("SELECT count(*) FROM orders") == [(0,)]


def test_wrong_credentials_and_a_missing_bucket_say_what_to_fix(app, bucket, s3_url):
    _, name = bucket
    with pytest.raises(ConnectorConfigError, match="no such bucket"):
        _connect(app, "s3://no-such-bucket-here/x")
    # An endpoint override per connection wins over the setting: a dead endpoint is a
    # transient failure (the next sync tries again), and no error ever shows the secret.
    with pytest.raises(TransientError, match="could not be read") as error:
        _connect(app, f"s3://{name}/x", endpoint_url="http://127.0.0.1:9")
    assert SECRET not in str(error.value) and KEY_ID not in str(error.value)
