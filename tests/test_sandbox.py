"""The sandbox for student code: each protection is proven by a real attempt from inside it."""

import ast
import json
import os
import shutil
import site
import socket
import sys
import time
import uuid
from pathlib import Path

import numpy
import pytest

import rnncourse
from rnncourse.grading import sandbox
from rnncourse.grading.sandbox import Limits, SandboxUnavailable

REPO = Path(rnncourse.__file__).resolve().parents[1]
SITE = str(Path(numpy.__file__).parents[1])  # the repo's venv: numpy, tensorflow, everything
(SEEN,) = sandbox.seen_as([SITE])  # where the sandbox shows it


def start(code, *args, paths=(), isolated=True, **options):
    """The worker as the grader starts it: ``python -I -c code`` (or without -I)."""
    argv = [sys.executable, *(["-I"] if isolated else []), "-c", code, *args]
    return sandbox.start(argv, python_paths=[str(p) for p in paths], **options)


def run(code, *args, timeout=20, **options):
    """Run code in the sandbox to its end: (exit code, what it printed)."""
    process = start(code, *args, **options)
    try:
        out, _ = process.communicate(timeout=timeout)
    finally:
        sandbox.kill(process)
    return process.returncode, out.decode()


def result(code, *args, **options):
    """The Python value that ``code`` prints last (it must end well)."""
    code, out = run(code, *args, **options)
    assert code == 0, out
    return ast.literal_eval(out.strip().splitlines()[-1])


def host_processes(marker):
    """Host pids of live processes (bwrap's own aside) whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0") if entry.name.isdigit() else []
            if marker.encode() in argv and not argv[0].endswith(b"bwrap"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def gone(marker, seconds=3.0):
    deadline = time.monotonic() + seconds
    while host_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not host_processes(marker)


def test_fully_protected_here():
    assert sandbox.missing_protections() == [], sandbox._probe()[1]


def test_numpy_imports_and_computes():
    code = (f"import sys; sys.path[:0] = [{SEEN!r}]; import numpy as np; "
            "print((float(np.arange(10) @ np.ones(10)), np.__file__))")
    total, where = result(code, paths=[SITE])
    assert total == 45 and where.startswith(SEEN + "/")
    # without -I, PYTHONPATH holds the python_paths (where the sandbox shows them)
    assert result("import numpy; print(repr(numpy.__file__))", paths=[SITE], isolated=False).startswith(SEEN + "/")


def test_only_the_given_python_paths(tmp_path):
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "student_helper.py").write_text("VALUE = 42\n")
    only_numpy = tmp_path / "only-numpy"
    for name in ("numpy", "numpy.libs"):  # hard links: fast, and real files inside the sandbox
        if (Path(SITE) / name).exists():
            try:
                shutil.copytree(Path(SITE) / name, only_numpy / name, copy_function=os.link)
            except OSError:
                shutil.rmtree(only_numpy / name, ignore_errors=True)
                shutil.copytree(Path(SITE) / name, only_numpy / name)
    code = """import importlib.util, os, sys
sys.path[:0] = sys.argv[1:]
print({name: importlib.util.find_spec(name) is not None for name in ("student_helper", "numpy", "tensorflow")}
      | {"venv seen": os.path.exists(%r)})""" % SITE
    found = result(code, *sandbox.seen_as([mods]), paths=[mods])
    assert found == {"student_helper": True, "numpy": False, "tensorflow": False, "venv seen": False}
    numpy_too = code + "\nimport numpy; assert numpy.ones(3).sum() == 3"
    found = result(numpy_too, *sandbox.seen_as([only_numpy]), paths=[only_numpy])
    assert found == {"student_helper": False, "numpy": True, "tensorflow": False, "venv seen": False}
    assert result("import student_helper; print(student_helper.VALUE)", paths=[mods], isolated=False) == 42


def test_private_read_only_filesystem(tmp_path):
    secret = tmp_path / "gradebook.db"
    secret.write_text("answers")
    code = """import os
def seen(path):  # its listing, True for a readable file, None when not there to read
    try:
        return sorted(os.listdir(path)) if os.path.isdir(path) else open(path, "rb").read(1) is not None
    except OSError:
        return None
def writable(folder):
    try:
        open(os.path.join(folder, "planted.py"), "w").write("x")
        return True
    except OSError:
        return False
print({"seen": {p: seen(p) for p in %r}, "root": sorted(os.listdir("/")), "etc": os.listdir("/etc"),
       "tmp": os.listdir("/tmp"), "cwd": os.getcwd(), "wrote": [p for p in %r if writable(p)]})"""
    hidden = [str(REPO), str(REPO / "pyproject.toml"), str(secret), str(tmp_path), "/etc/passwd",
              "/etc/shadow", "/home", sys.prefix, os.path.expanduser("~/.bash_history"), "/sys", "/var"]
    folders = ["/", "/usr", "/etc", "/dev", "/dev/shm", "/proc", "/root", sys.base_prefix, SITE, "/tmp"]
    seen = result(code % (hidden, folders), paths=[SITE])
    bound = [SEEN, os.path.realpath(sys.base_prefix)]
    for path, what in seen["seen"].items():  # at most the folders on the way to what is bound
        on_the_way = {b[len(path) + 1:].split("/")[0] for b in bound if b.startswith(path + "/")}
        assert what is None or (isinstance(what, list) and set(what) <= on_the_way), (path, what)
    allowed = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "dev", "proc", "tmp"}
    allowed |= {Path(p).resolve().parts[1] for p in (sys.base_prefix, SEEN)}  # their parent folders
    assert set(seen["root"]) <= allowed
    under_tmp = {b[len("/tmp/"):].split("/")[0] for b in bound if b.startswith("/tmp/")}  # a clone in /tmp
    assert seen["etc"] == ["ld.so.cache"] and set(seen["tmp"]) == under_tmp and seen["cwd"] == "/tmp"
    assert seen["wrote"] == ["/tmp"]


def test_only_the_numpy_environment_and_the_standard_library():
    """As the grader starts its worker (python -I -S, the numpy-only environment first on sys.path): no other
    Python package folder shows (Debian's dist-packages, /usr/local's, the interpreter's site-packages), nor
    does the checkout's path, in sys.path, the environment or any command line in there."""
    from rnncourse.grading.sandbox import sandbox_site

    env = str(sandbox_site())
    (seen,) = sandbox.seen_as([env])
    host = [str(p) for p in (*Path("/usr/lib").glob("python*"), *Path("/usr/local/lib").glob("python*"))]
    host += site.getsitepackages([sys.base_prefix]) + [SITE, sys.prefix, str(REPO)]
    stdlib = result("import sys; print(sys.path)", isolated=True)  # the interpreter alone, sandboxed
    code = f"""import json, os, sys
sys.path[:0] = [{seen!r}]
asked = json.loads(sys.stdin.readline())  # on stdin: the outside paths must not be on its command line
def listing(folder):
    try:
        return [p for p in os.listdir(folder) if os.path.realpath(os.path.join(folder, p)) not in {stdlib!r}]
    except OSError:
        return []
def text(path):
    try:
        return open(path, "rb").read().decode(errors="replace")
    except OSError:
        return ""
shown = sys.path + list(os.environ.values()) + [text(f"/proc/{{p}}/{{f}}") for p in ("self", "1") for f in ("cmdline", "environ")]
import numpy, matplotlib
print({{"path": sys.path, "numpy": numpy.__file__, "listings": {{f: listing(f) for f in asked["host"]}},
       "checkout": [c for c in asked["checkout"] if any(c in s for s in shown)]}})"""
    process = start(code, paths=[env])
    try:
        asked = {"host": host, "checkout": sorted({str(REPO), os.path.realpath(REPO)})}
        out, _ = process.communicate(json.dumps(asked).encode() + b"\n", timeout=20)
    finally:
        sandbox.kill(process)
    found = ast.literal_eval(out.decode())
    assert found["path"] == [seen, *stdlib] and found["numpy"].startswith(seen + "/")
    assert not any(found["listings"].values()), found["listings"]  # every such folder empty or not there
    assert found["checkout"] == []


def test_unprivileged_identity():
    marker = uuid.uuid4().hex
    code = """import os, sys
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
try:
    os.setuid(0); became_root = True
except OSError:
    became_root = False
print({"uid": os.getuid(), "caps": int(status["CapEff"], 16), "nnp": status["NoNewPrivs"].strip(),
       "root": became_root}, flush=True)
sys.stdin.readline()"""
    process = start(code, marker)
    try:
        inside = ast.literal_eval(process.stdout.readline().decode())
        assert inside == {"uid": inside["uid"], "caps": 0, "nnp": "1", "root": False} and inside["uid"] != 0
        (pid,) = host_processes(marker)  # seen from the host: real, effective, saved, fs uid
        status = Path(f"/proc/{pid}/status").read_text()
        uids = [int(uid) for uid in status.split("\nUid:")[1].split("\n")[0].split()]
        assert len(uids) == 4 and 0 not in uids, uids
        if os.geteuid() != 0:  # an ordinary user's grader: its own uid, nothing more
            assert uids == [os.geteuid()] * 4
    finally:
        sandbox.kill(process)


def test_no_network():
    with socket.create_server(("127.0.0.1", 0)) as server:
        code = """import socket
try:
    socket.create_connection(("127.0.0.1", %d), timeout=3); outcome = "connected"
except OSError as error:
    outcome = type(error).__name__
print((outcome, [name for _, name in socket.if_nameindex()]))""" % server.getsockname()[1]
        assert result(code) == ("ConnectionRefusedError", ["lo"])


def test_grader_invisible_and_unreachable():
    marker = uuid.uuid4().hex
    code = """import os, signal, sys
try:
    os.kill(%d, signal.SIGKILL); outcome = "sent"
except OSError as error:
    outcome = type(error).__name__
try:
    open("/dev/tty").close(); terminal = True
except OSError:
    terminal = False
print((outcome, sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), terminal), flush=True)
sys.stdin.readline()""" % os.getpid()
    process = start(code, marker)
    try:
        outcome, pids, terminal = ast.literal_eval(process.stdout.readline().decode())
        assert outcome in ("ProcessLookupError", "PermissionError") and len(pids) <= 3
        (pid,) = host_processes(marker)
        assert os.getsid(pid) != os.getsid(0) and not terminal, "no TIOCSTI into the grader's terminal"
    finally:
        sandbox.kill(process)


# A worker that starts a setsid'd child and a double-forked daemon, both ignoring SIGTERM.
SPAWNER = """import os, subprocess, sys
marker = sys.argv[1]
child = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); "
         "time.sleep(120)")
up = subprocess.Popen([sys.executable, "-I", "-S", "-c", child, marker], start_new_session=True,
                      stdout=subprocess.PIPE)
up.stdout.readline()
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.dup2(w, 1)
        os.execv(sys.executable, [sys.executable, "-I", "-S", "-c", child, marker])
    os._exit(0)
os.read(r, 3)
print("ready", flush=True)
sys.stdin.readline()"""


@pytest.mark.parametrize("ending", ["kill", "normal exit"])
def test_everything_it_started_ends_with_it(ending):
    marker = uuid.uuid4().hex
    process = start(SPAWNER, marker)
    try:
        assert process.stdout.readline() == b"ready\n"
        assert len(host_processes(marker)) == 3  # the worker and its two children
        if ending == "kill":
            sandbox.kill(process)
        else:
            process.stdin.write(b"\n")
            process.stdin.flush()
            assert process.wait(timeout=5) == 0
        assert gone(marker)
    finally:
        sandbox.kill(process)


def test_memory_limit():
    code = f"""import sys; sys.path[:0] = [{SEEN!r}]
import numpy as np
small = float(np.ones(100_000_000 // 8).sum())
try:
    np.ones(4 << 30, dtype=np.uint8); big = "allocated"
except MemoryError:
    big = "MemoryError"
print((small, big))"""
    assert result(code, paths=[SITE]) == (100_000_000 // 8, "MemoryError")


def test_cpu_limit():
    began = time.monotonic()
    code, _ = run("while True: pass", limits=Limits(cpu_seconds=1), timeout=15)
    assert code != 0 and time.monotonic() - began < 14  # 1 CPU second, however busy the machine


def test_file_size_process_and_open_file_limits():
    code = """import os, errno
def error(action):
    try:
        action(); return None
    except OSError as e:
        return errno.errorcode[e.errno]
big = error(lambda: open("/tmp/big", "wb").write(b"x" * (2 << 20)))
files = []
many_files = error(lambda: [files.append(open("/dev/null")) for _ in range(100)])
children = []
def spawn():
    for _ in range(50):
        pid = os.fork()
        if pid == 0:
            import time; time.sleep(5); os._exit(0)
        children.append(pid)
many_processes = error(spawn)
print((big, many_files, len(files), many_processes, len(children)))"""
    limits = Limits(file_bytes=1 << 20, open_files=32, processes=8)
    big, many_files, opened, many_processes, forked = result(code, limits=limits)
    assert big == "EFBIG" and many_files == "EMFILE" and opened < 32
    assert many_processes == "EAGAIN" and forked < 8


def test_minimal_environment(monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "s3cret")
    env = result("import os; print(dict(os.environ))", env={"RNN_CASE": "1"})
    assert "GRADER_SECRET" not in env and env["RNN_CASE"] == "1"
    assert env["PATH"] == "/usr/bin:/bin" and env["HOME"] == "/tmp" and env["LANG"] == "C.UTF-8"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_refuses_when_a_protection_is_missing(monkeypatch):
    weak = dict(sandbox.protections(), **{"no network": False})
    monkeypatch.setattr(sandbox, "protections", lambda: weak)
    assert sandbox.missing_protections() == ["no network"]
    with pytest.raises(SandboxUnavailable, match="no network"):
        start("print(1)")
    # asked for explicitly: plainly, with the limits and the minimal environment only
    assert result("import os; print(repr(os.environ['HOME']))", unprotected=True) == "/tmp"
    assert run("while True: pass", unprotected=True, limits=Limits(cpu_seconds=1))[0] != 0
