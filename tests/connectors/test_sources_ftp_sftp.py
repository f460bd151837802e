"""FTP (pyftpdlib) and SFTP (a paramiko server) sources, served in-process on 127.0.0.1.

Both serve a folder holding copies of real sample files, a non-matching file and a
subdirectory; expected sizes and checksums are taken from the sample files themselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import threading
import warnings

import paramiko
import pytest
from paramiko.common import AUTH_FAILED, AUTH_SUCCESSFUL, OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED, OPEN_SUCCEEDED
from paramiko.sftp import SFTP_FAILURE, SFTP_PERMISSION_DENIED

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # pyftpdlib imports asyncore/asynchat
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import FTPServer

from connectors.fetch import fetch_new, mark_processed
from connectors.sources import FetchError, FetchSettings, open_transport
from connectors.state import PartialRecord, open_state, utc_now
from ipetl.collection import Source
from tests.conftest import MIRROR

KH = (MIRROR / "khtm" / "khtm.xml").read_bytes()
AL = (MIRROR / "altm" / "altm.xml").read_bytes()
FAST = FetchSettings(connect_timeout=5, read_timeout=5)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "served"
    (root / "2023").mkdir(parents=True)
    shutil.copy(MIRROR / "khtm" / "khtm.xml", root / "khtm.xml")
    shutil.copy(MIRROR / "altm" / "altm.xml", root / "altm.xml")
    (root / "README.txt").write_text("not a delivery")
    return root


@pytest.fixture
def no_netrc(monkeypatch, tmp_path):
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))


# --- FTP -----------------------------------------------------------------------------------


def ftp_server(root, mlsd: bool = True):
    """Start an anonymous read-only FTP server; returns (url, commands seen, stop)."""
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(str(root))
    commands: list[str] = []

    class Handler(FTPHandler):
        proto_cmds = FTPHandler.proto_cmds if mlsd else {k: v for k, v in FTPHandler.proto_cmds.items() if k != "MLSD"}

        def pre_process_command(self, line, cmd, arg):
            commands.append(line)
            return super().pre_process_command(line, cmd, arg)

    Handler.authorizer = authorizer
    server = FTPServer(("127.0.0.1", 0), Handler)
    stopped = threading.Event()

    def serve():
        while not stopped.is_set():
            server.serve_forever(timeout=0.02, blocking=False, handle_exit=False)
        server.close_all()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def stop():
        stopped.set()
        thread.join(5)

    return f"ftp://127.0.0.1:{server.address[1]}/", commands, stop


@pytest.fixture
def ftp(served, no_netrc):
    url, commands, stop = ftp_server(served)
    yield url, commands
    stop()


@pytest.fixture
def ftp_without_mlsd(served, no_netrc):
    url, commands, stop = ftp_server(served, mlsd=False)
    yield url, commands
    stop()


def test_ftp_mlsd_listing(ftp):
    url, commands = ftp
    with open_transport(Source("ftp", url, "*.xml"), FAST) as transport:
        files = transport.files()
    assert [(f.name, f.url, f.size) for f in files] == [
        ("altm.xml", "/altm.xml", len(AL)),
        ("khtm.xml", "/khtm.xml", len(KH)),
    ]
    assert all(f.modified for f in files)
    assert any(c.startswith("MLSD") for c in commands)


def test_ftp_without_mlsd_falls_back_to_nlst_and_size(ftp_without_mlsd):
    url, commands = ftp_without_mlsd
    with open_transport(Source("ftp", url, "*"), FAST) as transport:
        files = transport.files()
    # README.txt and the 2023 directory are listed by NLST; SIZE drops the directory.
    assert [(f.name, f.size) for f in files] == [("README.txt", 14), ("altm.xml", len(AL)), ("khtm.xml", len(KH))]
    assert any(c.startswith("NLST") for c in commands) and any(c.startswith("SIZE") for c in commands)


def test_ftp_fetch_then_rerun_fetches_nothing(ftp, home):
    url, commands = ftp
    source = Source("ftp", url, "*.xml")
    result = fetch_new("khtm", source, home, FAST)
    assert {d.name: d.sha256 for d in result.deliveries} == {"altm.xml": sha(AL), "khtm.xml": sha(KH)}
    assert (home / "incoming" / "khtm" / "khtm.xml").read_bytes() == KH
    mark_processed(home, "khtm", result.deliveries)
    retrieved = sum(c.startswith("RETR") for c in commands)
    assert fetch_new("khtm", source, home, FAST).deliveries == []
    assert sum(c.startswith("RETR") for c in commands) == retrieved == 2


def test_ftp_resumes_an_interrupted_download_with_rest(ftp, home, served):
    url, commands = ftp
    incoming = home / "incoming" / "khtm"
    incoming.mkdir(parents=True)
    (incoming / "khtm.xml.part").write_bytes(KH[:1000])  # what an earlier run got before it broke
    with open_transport(Source("ftp", url, "khtm.xml"), FAST) as transport:
        [listed] = transport.files()
    with open_state(home, "khtm") as state:
        state.partials["khtm.xml"] = PartialRecord(listed.url, listed.size, listed.modified, None, None, utc_now())
        state.save()
    [delivery] = fetch_new("khtm", Source("ftp", url, "khtm.xml"), home, FAST).deliveries
    assert "REST 1000" in commands
    assert delivery.sha256 == sha(KH)


def test_ftp_unreachable_server_is_one_line(home, no_netrc):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as error:
        fetch_new("khtm", Source("ftp", f"ftp://127.0.0.1:{port}/"), home, FAST)
    assert "\n" not in str(error.value) and str(error.value).startswith("ftp://127.0.0.1")


# --- SFTP ----------------------------------------------------------------------------------


class PasswordOnly(paramiko.ServerInterface):
    def get_allowed_auths(self, username):
        return "password"

    def check_auth_password(self, username, password):
        ok = (username, password) == ("ipetl", "s3cret")
        return AUTH_SUCCESSFUL if ok else AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        return OPEN_SUCCEEDED if kind == "session" else OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


def failure(exc: OSError) -> int:
    """The SFTP status for an OSError (SFTP_FAILURE when it carries no errno)."""
    return SFTP_FAILURE if exc.errno is None else paramiko.SFTPServer.convert_errno(exc.errno)


class ReadHandle(paramiko.SFTPHandle):
    """A file open for reading: SFTPHandle reads `readfile` and closes it with the handle."""

    def __init__(self, path: str, flags: int):
        super().__init__(flags)
        self.readfile = open(path, "rb")  # noqa: SIM115


class ReadOnlyFolder(paramiko.SFTPServerInterface):
    """Serves one local folder, read-only."""

    def __init__(self, server, root, *args, **kwargs):
        super().__init__(server, *args, **kwargs)
        self.root = root

    def _local(self, path):
        return os.path.join(self.root, self.canonicalize(path).lstrip("/"))

    def list_folder(self, path):
        try:
            folder = self._local(path)
            return [paramiko.SFTPAttributes.from_stat(os.stat(os.path.join(folder, n)), n) for n in os.listdir(folder)]
        except OSError as exc:
            return failure(exc)

    def stat(self, path):
        try:
            return paramiko.SFTPAttributes.from_stat(os.stat(self._local(path)))
        except OSError as exc:
            return failure(exc)

    lstat = stat

    def open(self, path, flags, attr):
        if flags & (os.O_WRONLY | os.O_RDWR):
            return SFTP_PERMISSION_DENIED
        try:
            return ReadHandle(self._local(path), flags)
        except OSError as exc:
            return failure(exc)


@pytest.fixture(scope="module")
def host_key():
    return paramiko.ECDSAKey.generate()


@pytest.fixture
def sftp(served, host_key, tmp_path, monkeypatch):
    """An SFTP server for user ipetl (password from a netrc file) whose key is in known_hosts."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)
    port = listener.getsockname()[1]
    transports = []
    stopped = threading.Event()

    def serve():
        while not stopped.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            transport = paramiko.Transport(conn)
            transport.add_server_key(host_key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, ReadOnlyFolder, str(served))
            transports.append(transport)
            with contextlib.suppress(paramiko.SSHException, OSError, EOFError):
                transport.start_server(server=PasswordOnly())  # raises when the client refuses us and hangs up

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key.get_name()} {host_key.get_base64()}\n")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login ipetl password s3cret\n")
    monkeypatch.setenv("IPETL_KNOWN_HOSTS", str(known_hosts))
    monkeypatch.setenv("NETRC", str(netrc))
    yield f"sftp://127.0.0.1:{port}/"
    stopped.set()
    thread.join(5)
    listener.close()
    for transport in transports:
        transport.close()


def test_sftp_listing(sftp):
    with open_transport(Source("sftp", sftp, "*.xml"), FAST) as transport:
        files = transport.files()
    assert [(f.name, f.size) for f in files] == [("altm.xml", len(AL)), ("khtm.xml", len(KH))]
    assert all(f.modified for f in files)


def test_sftp_fetch_resume_and_rerun(sftp, home):
    source = Source("sftp", sftp, "*.xml")
    incoming = home / "incoming" / "khtm"
    incoming.mkdir(parents=True)
    (incoming / "khtm.xml.part").write_bytes(KH[:1000])  # an earlier run's half
    with open_transport(source, FAST) as transport:
        listed = {f.name: f for f in transport.files()}
    with open_state(home, "khtm") as state:
        kh = listed["khtm.xml"]
        state.partials["khtm.xml"] = PartialRecord(kh.url, kh.size, kh.modified, None, None, utc_now())
        state.save()
    result = fetch_new("khtm", source, home, FAST)
    assert {d.name: d.sha256 for d in result.deliveries} == {"altm.xml": sha(AL), "khtm.xml": sha(KH)}
    mark_processed(home, "khtm", result.deliveries)
    assert fetch_new("khtm", source, home, FAST).deliveries == []
    entry = json.loads((home / "state" / "khtm.json").read_text())["deliveries"]["khtm.xml"]
    assert (entry["size"], entry["status"]) == (len(KH), "processed")


def test_sftp_server_with_an_unknown_host_key_is_refused(sftp, home, monkeypatch, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    monkeypatch.setenv("IPETL_KNOWN_HOSTS", str(empty))
    with pytest.raises(FetchError, match="known_hosts") as error:
        fetch_new("khtm", Source("sftp", sftp, "*.xml"), home, FAST)
    assert "\n" not in str(error.value)
    assert not (home / "incoming").exists()
