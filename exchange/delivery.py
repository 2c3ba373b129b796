"""Getting a built file to its vendor: the local drop folder (default) or SFTP.

Both write under a temporary name and rename, so a vendor never picks up half a file. A file already
at the vendor under its name with the same content (a worker died after delivering, before marking its
items sent) is not uploaded again: `deliver` returns False.
"""
import filecmp
import os
import shutil
import socket
from pathlib import Path

import paramiko
from django.conf import settings

CONNECT_TIMEOUT = 15


class DeliveryError(Exception):
    """The vendor did not get the file (server down, refused, disk full); the items stay unsent."""


def drop_folder(vendor):
    return Path(settings.MEDIA_ROOT) / "exchange" / "drop" / vendor.code


def deliver(*, vendor, path, name):
    """Put the file at `path` in the vendor's place as `name`; True when uploaded, False when it was already there."""
    if vendor.uses_sftp:
        return _sftp_put(vendor, path, name)
    return _drop(vendor, path, name)


def _drop(vendor, path, name):
    folder = drop_folder(vendor)
    partial = folder / f".{name}.part"
    try:
        if (folder / name).exists() and filecmp.cmp(path, folder / name, shallow=False):
            return False
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, partial)
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, folder / name)
    except OSError as error:
        raise DeliveryError(f"Drop folder {folder}: {error}") from error
    return True


def _host_key_matches(vendor, key):
    expected = vendor.sftp_host_key.split()[:2]
    return expected == [key.get_name(), key.get_base64()]


def _remote_size(sftp, remote_path):
    try:
        return sftp.stat(remote_path).st_size
    except FileNotFoundError:
        return None


def _sftp_put(vendor, path, name):
    where = f"sftp://{vendor.sftp_user}@{vendor.sftp_host}:{vendor.sftp_port}"
    if not vendor.sftp_host_key:
        raise DeliveryError(f"{where}: the vendor has no SFTP host key on record; add it before files can go by SFTP.")
    transport = None
    try:
        sock = socket.create_connection((vendor.sftp_host, vendor.sftp_port), timeout=CONNECT_TIMEOUT)
        transport = paramiko.Transport(sock)
        transport.start_client(timeout=CONNECT_TIMEOUT)
        if not _host_key_matches(vendor, transport.get_remote_server_key()):
            raise DeliveryError(f"{where}: the server's host key does not match the one on record.")
        transport.auth_publickey(vendor.sftp_user, paramiko.PKey.from_path(vendor.sftp_key_path))
        sftp = paramiko.SFTPClient.from_transport(transport)
        folder = vendor.sftp_path.rstrip("/") or "."
        partial, final = f"{folder}/.{name}.part", f"{folder}/{name}"
        if _remote_size(sftp, final) == os.path.getsize(path):
            sftp.close()
            return False
        sftp.put(str(path), partial, confirm=True)
        sftp.posix_rename(partial, final)
        sftp.close()
        return True
    except DeliveryError:
        raise
    except (OSError, EOFError, paramiko.SSHException) as error:
        raise DeliveryError(f"{where}: {error or type(error).__name__}") from error
    finally:
        if transport is not None:
            transport.close()
