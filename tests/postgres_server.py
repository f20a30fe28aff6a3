"""A throwaway PostgreSQL server for tests and benchmarks: Debian's `postgresql` (initdb, pg_ctl)
in a temporary folder, as an unprivileged user (the server refuses root), listening on 127.0.0.1
only, stopped and removed on leaving the ``with`` block whatever happens."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

INSTALL = "PostgreSQL not found: install Debian's postgresql (sudo apt-get install postgresql)"


def tool(name):
    """initdb or pg_ctl: on PATH, or where Debian puts them (/usr/lib/postgresql/VERSION/bin)."""
    return shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)


def available():
    return bool(tool("initdb") and tool("pg_ctl"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(database="gradebook"):
    """Yield the SQLAlchemy URL of an empty ``database`` on a new server (user ``grader``, no password)."""
    from sqlalchemy import create_engine, text

    as_user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="rnncourse-pg-"))
    if os.geteuid() == 0:
        os.chown(folder, 65534, 65534)
    data, port = folder / "data", free_port()
    try:
        subprocess.run([*as_user, tool("initdb"), "-D", data, "-U", "grader", "--auth=trust", "--no-sync"],
                       check=True, capture_output=True, cwd=folder)
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -k {folder}"
        subprocess.run([*as_user, tool("pg_ctl"), "-D", data, "-o", options, "-l", folder / "log", "-w", "start"],
                       check=True, capture_output=True, cwd=folder)
        admin = create_engine(f"postgresql://grader@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {database}"))
        admin.dispose()
        yield f"postgresql://grader@127.0.0.1:{port}/{database}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_user, tool("pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
                           capture_output=True, cwd=folder)
        shutil.rmtree(folder, ignore_errors=True)
