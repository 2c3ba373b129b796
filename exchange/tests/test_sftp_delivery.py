"""Delivery by SFTP to a real server on loopback, including a server that refuses connections (issue 5)."""
from datetime import date, datetime, timedelta, timezone as dt_timezone

import pytest

from exchange import services
from exchange.models import FileStatus, ItemStatus
from exchange.tests import helpers
from exchange.tests.sftp_server import LoopbackSFTP, closed_port

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=dt_timezone.utc)


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "sftp-root"
    (root / "inbound").mkdir(parents=True)
    with LoopbackSFTP(root, tmp_path / "client_key") as running:
        yield running


def test_file_arrives_by_sftp_and_items_are_sent(world, server):
    vendor = helpers.vendor("remote", **server.vendor_fields())
    connection = helpers.connect(world.alpha, vendor)
    helpers.record_event(helpers.covered_family(world.alpha))
    report = services.exchange_run(as_of=date(2026, 11, 23), now=NOW)
    assert report.sent == ["alpha → remote QE: remote_alpha_QE_20261123_1.csv (2 items)"]
    assert sorted(p.name for p in (server.root / "inbound").iterdir()) == ["remote_alpha_QE_20261123_1.csv"]
    assert (server.root / "inbound" / "remote_alpha_QE_20261123_1.csv").read_text().startswith("record_type,record_id")
    assert {i.status for i in helpers.items(connection)} == {ItemStatus.SENT}


def test_refused_connection_keeps_items_unsent_shows_the_error_and_retries_with_backoff(world, server):
    vendor = helpers.vendor("remote", **server.vendor_fields(port=closed_port()))
    connection = helpers.connect(world.alpha, vendor)
    helpers.record_event(helpers.covered_family(world.alpha))
    report = services.exchange_run(as_of=date(2026, 11, 23), now=NOW)
    assert report.sent == [] and any("not delivered" in line for line in report.held)
    [exchange_file] = connection.files.all()
    assert (exchange_file.status, exchange_file.attempts) == (FileStatus.FAILED, 1)
    assert exchange_file.next_attempt_at == NOW + timedelta(minutes=5)
    connection.refresh_from_db()
    assert "refused" in connection.last_delivery_error.lower()
    assert {i.status for i in helpers.items(connection)} == {ItemStatus.CLAIMED}

    assert services.deliveries_retry(now=NOW + timedelta(minutes=6)).sent == []
    exchange_file.refresh_from_db()
    assert (exchange_file.attempts, exchange_file.next_attempt_at) == (2, NOW + timedelta(minutes=16))
    assert services.deliveries_retry(now=NOW + timedelta(minutes=7)).sent == [], "backoff not over yet"

    vendor.sftp_port = server.port
    vendor.save()
    retried = services.deliveries_retry(now=NOW + timedelta(minutes=20))
    assert retried.sent == ["alpha → remote QE: remote_alpha_QE_20261123_1.csv (2 items)"]
    assert {i.status for i in helpers.items(connection)} == {ItemStatus.SENT}
    connection.refresh_from_db()
    assert connection.last_delivery_error == ""
    assert [p.name for p in (server.root / "inbound").iterdir()] == ["remote_alpha_QE_20261123_1.csv"]


def test_a_server_with_another_host_key_gets_nothing(world, server):
    fields = server.vendor_fields() | {"sftp_host_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBogusBogusBogusBogusBogusBogusBogusBogusBog"}
    connection = helpers.connect(world.alpha, helpers.vendor("remote", **fields))
    helpers.record_event(helpers.covered_family(world.alpha))
    services.exchange_run(as_of=date(2026, 11, 23), now=NOW)
    connection.refresh_from_db()
    assert "host key does not match" in connection.last_delivery_error
    assert list((server.root / "inbound").iterdir()) == []


def test_a_file_already_on_the_server_after_a_crash_is_not_uploaded_again(world, server, monkeypatch):
    vendor = helpers.vendor("remote", **server.vendor_fields())
    connection = helpers.connect(world.alpha, vendor)
    helpers.record_event(helpers.covered_family(world.alpha))

    def died(*args, **kwargs):
        raise RuntimeError("worker killed after delivering, before marking the items sent")
    with monkeypatch.context() as patch:
        patch.setattr(services, "_file_delivered", died)
        with pytest.raises(RuntimeError):
            services.exchange_run(as_of=date(2026, 11, 23), now=NOW)
    remote = server.root / "inbound" / "remote_alpha_QE_20261123_1.csv"
    uploaded_at = remote.stat().st_mtime_ns
    retry = services.deliveries_retry(now=NOW + services.LEASE + timedelta(minutes=1))
    assert "not uploaded again" in retry.sent[0]
    assert remote.stat().st_mtime_ns == uploaded_at
    assert {i.status for i in helpers.items(connection)} == {ItemStatus.SENT}
