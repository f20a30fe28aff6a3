"""Start untrusted student code in a sandbox: bubblewrap (``bwrap``) plus util-linux tools.

The worker process and EVERYTHING it starts get:

* an unprivileged identity: as root, the worker drops to uid/gid 65534 (``setpriv``) in a user
  namespace of its own (``unshare --user``, so the process limit counts its own processes only);
  as an ordinary user it keeps that user's uid, in bwrap's user namespace. Either way it holds no
  capability and cannot gain one (no_new_privs, nosuid mounts).
* a private read-only filesystem: /usr, the /bin and /lib links, /etc/ld.so.cache, the
  interpreter's prefix (``sys.base_prefix``) and the caller's ``python_paths``, each read-only at
  the same path as outside; a fresh small tmpfs /tmp (working dir); bwrap's minimal /dev; /proc of
  its own pid namespace. The repository, /root, /home, the rest of /etc, the grader's venv and the
  interpreter's own site-packages are not there; nothing but /tmp is writable.
* no network: a network namespace of its own, with only its own loopback.
* its own process tree: a pid namespace (it cannot see or signal the grader), ``--new-session``
  (no TIOCSTI into the grader's terminal), and bwrap's pid 1 there: when the worker ends, or bwrap
  is killed, or the grader dies (``--die-with-parent``), the kernel kills all that is left in it,
  setsid'd or double-forked alike.
* resource limits, set inside with ``prlimit``: CPU seconds, address space, processes, file size,
  open files (and no core files); the size of /tmp is bounded too.

Without bwrap, :func:`start` refuses (:class:`SandboxUnavailable`) unless asked for
``unprotected=True``: no partial sandbox pretends to be one.
"""

import functools
import os
import shutil
import signal
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
TOOLS_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
PROTECTIONS = ("unprivileged user", "private filesystem", "no network", "own process tree",
               "resource limits")
INSTALL = "install the bubblewrap package (as root: apt-get install bubblewrap; scripts/setup.sh does it)"
USERNS = "allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0)"
HOW = f"{INSTALL}; {USERNS}"  # all the advice; SandboxUnavailable says what this machine lacks


class SandboxUnavailable(RuntimeError):
    """A protection is missing on this machine; the message says which and how to get it."""


@dataclass(frozen=True)
class Limits:
    """Resource limits inside the sandbox; the defaults fit the numpy exercises."""

    cpu_seconds: int = 60  # then SIGXCPU/SIGKILL
    memory_bytes: int = 2 << 30  # address space: numpy imports and a 100 MB array fits
    processes: int = 64  # processes AND threads of the sandbox's user
    file_bytes: int = 16 << 20  # largest file it may write (EFBIG beyond)
    open_files: int = 256
    tmp_bytes: int = 64 << 20  # size of the tmpfs /tmp (its memory is not in memory_bytes)

    def prlimit(self, processes=True) -> list[str]:
        """The ``prlimit`` command line prefix that sets these limits (soft = hard)."""
        args = [_tool("prlimit"), f"--cpu={self.cpu_seconds}", f"--as={self.memory_bytes}",
                f"--fsize={self.file_bytes}", f"--nofile={self.open_files}", "--core=0"]
        return args + ([f"--nproc={self.processes}"] if processes else []) + ["--"]


def _tool(name):
    return shutil.which(name, path=TOOLS_PATH)


def _interpreter(argv0):
    """The real interpreter behind the grader's (venv) python, which is visible inside."""
    if os.path.realpath(argv0) == os.path.realpath(sys.executable):
        return os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    return os.path.realpath(argv0)


def _inside(path, folders):
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def _mounts(python_paths, limits):
    """bwrap options for the filesystem: system parts, a tmpfs /tmp, the interpreter's prefix with
    its site-packages hidden (only ``python_paths`` may add packages), then ``python_paths``."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    args += ["--perms", "0755", "--dir", "/etc", "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
             "--dev", "/dev", "--proc", "/proc",
             "--size", str(limits.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp"]
    bound, made = ["/usr"], {"/tmp"}

    def bind(path):  # read-only at the same path, its parents made 0755 (bwrap would make 0700)
        if not _inside(path, bound):
            for parent in map(str, reversed(Path(path).parents[:-1])):
                if parent not in made and not _inside(parent, bound):
                    made.add(parent)
                    args.extend(["--perms", "0755", "--dir", parent])
            args.extend(["--ro-bind", path, path])
            bound.append(path)

    prefix = os.path.realpath(sys.base_prefix)
    bind(prefix)
    for site_dir in map(os.path.realpath, site.getsitepackages([prefix])):  # Debian's dist-packages too
        if os.path.isdir(site_dir) and not any(_inside(p, [site_dir]) for p in python_paths):
            args += ["--size", "4096", "--tmpfs", site_dir, "--remount-ro", site_dir]
    for path in sorted(python_paths, key=len):
        bind(path)
    return args + ["--remount-ro", "/dev", "--remount-ro", "/"]  # as a user, both are its tmpfs


def _command(argv, python_paths, limits):
    """The full command line: bwrap, its options, the identity drop, the limits, then argv."""
    args = [_tool("bwrap"), "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "sandbox", "--die-with-parent", "--new-session",
            *_mounts(python_paths, limits), "--chdir", "/tmp"]
    if os.geteuid() == 0:  # bwrap sets up as root; the worker drops to nobody in a new userns
        args += ["--", _tool("setpriv"), f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
                 _tool("unshare"), "--user", "--"]
    else:  # already unprivileged: bwrap's user namespace; no further ones inside
        args[1:1] = ["--unshare-user", "--disable-userns"]
        args += ["--"]
    return args + limits.prlimit() + [_interpreter(argv[0]), *argv[1:]]


@functools.cache
def _probe() -> tuple[tuple[tuple[str, bool], ...], str]:
    """Run one tiny sandbox to see what works here: (protection, works) pairs and why not."""
    limits = _tool("prlimit") is not None
    needed = ["bwrap", "prlimit"] + (["setpriv", "unshare"] if os.geteuid() == 0 else [])
    missing = [t for t in needed if _tool(t) is None]
    why = ""
    if missing:
        why = f"{', '.join(missing)} not found: {INSTALL if 'bwrap' in missing else 'install util-linux'}"
    else:
        check = "import os, socket; assert os.getuid() != 0 and len(socket.if_nameindex()) == 1"
        done = subprocess.run(_command([sys.executable, "-I", "-S", "-c", check], [], Limits()),
                              stdin=subprocess.DEVNULL, capture_output=True, env=_environment([]),
                              timeout=60)
        if done.returncode != 0:
            error = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
            why = f"bwrap failed here ({' '.join(error) or done.returncode}): {USERNS}"
    anyway = {"resource limits": limits, "unprivileged user": os.geteuid() != 0}
    return tuple((name, not why or anyway.get(name, False)) for name in PROTECTIONS), why


def protections() -> dict[str, bool]:
    """Which protections work on this machine (probed once per process, then cached)."""
    return dict(_probe()[0])


def missing_protections() -> list[str]:
    """Names of the protections that are not active; [] when fully protected."""
    return [name for name, works in protections().items() if not works]


def _environment(python_paths, extra=None):
    """The worker's whole environment: never the grader's, which may hold secrets. One BLAS thread:
    threads count as processes, and the grader runs one worker per core."""
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if python_paths:
        env["PYTHONPATH"] = os.pathsep.join(python_paths)
    return {**env, **(extra or {})}


def start(argv: list[str], *, python_paths: list[str], limits: Limits = Limits(),
          env: dict | None = None, unprotected: bool = False) -> subprocess.Popen:
    """Start ``argv`` in the sandbox; its stdin and stdout are binary pipes, stderr is discarded.

    ``argv[0]``, when it is the grader's ``sys.executable`` (say a venv's python), becomes the real
    interpreter, visible inside at its own path. ``python_paths`` are exposed read-only at the
    SAME paths as outside and put on PYTHONPATH; as ``python -I`` ignores PYTHONPATH, the worker
    may instead be given them (e.g. on its command line) to put on ``sys.path`` itself. The
    environment is a minimal one (see :func:`_environment`) plus ``env``.

    Raises SandboxUnavailable when a protection is missing, unless ``unprotected``: then argv runs
    plainly, with the resource limits except the process count (which would count all of the
    user's processes), in a new process group (setsid'd children can outlive :func:`kill`).
    """
    python_paths = [os.path.abspath(p) for p in python_paths]
    for path in python_paths:
        if not os.path.isdir(path):
            raise FileNotFoundError(f"python path {path} is not a folder")
    if unprotected:
        prefix = limits.prlimit(processes=False) if _tool("prlimit") else []
        command, cwd = prefix + list(argv), "/tmp"
    else:
        if missing_protections():
            raise SandboxUnavailable(f"no sandbox for student code: {', '.join(missing_protections())} "
                                     f"missing ({_probe()[1] or INSTALL}); or start it unprotected")
        command, cwd = _command(argv, python_paths, limits), "/"
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=_environment(python_paths, env), cwd=cwd,
                            start_new_session=True)


def kill(process: subprocess.Popen) -> None:
    """End the worker and everything it started, at once, and reap it.

    Sandboxed, SIGKILL to bwrap ends its pid namespace and with it every process in there.
    """
    if process.returncode is None:  # not reaped yet: its pid and process group are still ours
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
