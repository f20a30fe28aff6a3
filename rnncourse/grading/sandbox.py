"""Start untrusted student code in a sandbox: bubblewrap (``bwrap``) plus util-linux tools.

The worker process and EVERYTHING it starts get:

* an unprivileged identity: as root, the worker drops to uid/gid 65534 (``setpriv``) in a user
  namespace of its own (``unshare --user``, so the process limit counts its own processes only);
  as an ordinary user it keeps that user's uid, in bwrap's user namespace. Either way it holds no
  capability and cannot gain one (no_new_privs, nosuid mounts).
* a private read-only filesystem: /usr, the /bin and /lib links, /etc/ld.so.cache and the
  interpreter's prefix (``sys.base_prefix``), each read-only at the same path as outside; the
  caller's ``python_paths`` read-only at neutral paths (:func:`seen_as`: /packages/0, ...); a fresh
  small tmpfs /tmp (working dir); bwrap's minimal /dev; /proc of its own pid namespace. The
  repository, /root, /home, the rest of /etc and the grader's venv are not there, and no Python
  package but those of ``python_paths``: the interpreter's own site-packages, Debian's
  dist-packages (apt's python3-* packages), /usr/local's and other Pythons' libraries are hidden
  (:func:`_system_packages`). No path of the machine's beyond /usr and the interpreter shows in
  ``sys.path``, the environment or a command line (bwrap reads its options from a file descriptor);
  nothing but /tmp is writable.
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
import glob
import os
import shutil
import signal
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
PACKAGES = "/packages"  # python_paths are seen at /packages/0, /packages/1, ... inside
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



def sandbox_site():
    """The numpy-only environment student code imports from (scripts/setup.sh makes it)."""
    return Path(sys.prefix) / "sandbox"

def _tool(name):
    return shutil.which(name, path=TOOLS_PATH)


def _interpreter(argv0):
    """The real interpreter behind the grader's (venv) python, which is visible inside."""
    if os.path.realpath(argv0) == os.path.realpath(sys.executable):
        return os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    return os.path.realpath(argv0)


def _inside(path, folders):
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


def seen_as(python_paths, unprotected=False):
    """Where the program started by :func:`start` sees ``python_paths`` (to put on its ``sys.path``):
    /packages/0, /packages/1, ... in the sandbox, so that no outside path (the instructor's checkout,
    their home) shows; the paths themselves when started unprotected."""
    return list(python_paths) if unprotected else [f"{PACKAGES}/{i}" for i in range(len(python_paths))]


def _system_packages():
    """The folders of Python packages under /usr that the sandbox hides: Debian's dist-packages (on an
    instructor's Ubuntu, apt's python3-scipy or python3-torch), /usr/local's pip installs, other Pythons'
    libraries; of the interpreter's own library (when it lives in /usr) only its *-packages folders."""
    stdlib = os.path.realpath(os.path.dirname(os.__file__))
    found = []
    for folder in sorted({*glob.glob("/usr/lib/python*"), *glob.glob("/usr/local/lib/python*")}):
        if os.path.islink(folder) or not os.path.isdir(folder):
            continue
        if _inside(stdlib, [folder]):
            found += [p for p in sorted(glob.glob(f"{folder}/*-packages")) if os.path.isdir(p) and not os.path.islink(p)]
        else:
            found.append(folder)
    return found


def _mounts(python_paths, limits):
    """bwrap options for the filesystem: system parts with their Python packages hidden, a tmpfs /tmp,
    the interpreter's prefix with its site-packages hidden, then ``python_paths`` at :func:`seen_as`."""
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

    def bind(path, inside):  # read-only, its parents made 0755 (bwrap would make 0700)
        if not _inside(inside, bound):
            for parent in map(str, reversed(Path(inside).parents[:-1])):
                if parent not in made and not _inside(parent, bound):
                    made.add(parent)
                    args.extend(["--perms", "0755", "--dir", parent])
            args.extend(["--ro-bind", path, inside])
            bound.append(inside)

    def hide(folder):  # an empty read-only folder in its place
        args.extend(["--size", "4096", "--tmpfs", folder, "--remount-ro", folder])

    for folder in _system_packages():
        hide(folder)
    prefix = os.path.realpath(sys.base_prefix)
    bind(prefix, prefix)
    for site_dir in map(os.path.realpath, site.getsitepackages([prefix])):
        if os.path.isdir(site_dir) and not _inside(site_dir, _system_packages()):
            hide(site_dir)
    for path, inside in zip(python_paths, seen_as(python_paths)):
        bind(path, inside)
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
        done = _popen(_command([sys.executable, "-I", "-S", "-c", check], [], Limits()), stdin=subprocess.DEVNULL,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environment([]))
        _, stderr = done.communicate(timeout=60)
        if done.returncode != 0:
            error = stderr.decode(errors="replace").strip().splitlines()[-1:]
            why = f"bwrap failed here ({' '.join(error) or done.returncode}): {USERNS}"
    anyway = {"resource limits": limits, "unprivileged user": os.geteuid() != 0}
    return tuple((name, not why or anyway.get(name, False)) for name in PROTECTIONS), why


def _popen(command, **options):
    """Start bwrap with its options (every mount's outside path) read from a file descriptor (``--args``),
    not its command line: bwrap is pid 1 in the sandbox, whose command line anyone in there can read."""
    split = command.index("--")
    fd = os.memfd_create("bwrap-options")
    try:
        os.write(fd, b"".join(os.fsencode(arg) + b"\0" for arg in command[1:split]))
        os.lseek(fd, 0, os.SEEK_SET)
        return subprocess.Popen([command[0], "--args", str(fd), *command[split:]], pass_fds=(fd,), **options)
    finally:
        os.close(fd)


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
    paths :func:`seen_as` gives and put on PYTHONPATH there; as ``python -I`` ignores PYTHONPATH, the
    worker may instead be given those paths (e.g. on its command line) to put on ``sys.path`` itself.
    The environment is a minimal one (see :func:`_environment`) plus ``env``.

    Raises SandboxUnavailable when a protection is missing, unless ``unprotected``: then argv runs
    plainly, with the resource limits except the process count (which would count all of the
    user's processes), in a new process group (setsid'd children can outlive :func:`kill`).
    """
    python_paths = [os.path.abspath(p) for p in python_paths]
    for path in python_paths:
        if not os.path.isdir(path):
            raise FileNotFoundError(f"python path {path} is not a folder")
    options = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                   env=_environment(seen_as(python_paths, unprotected), env), start_new_session=True)
    if unprotected:
        prefix = limits.prlimit(processes=False) if _tool("prlimit") else []
        return subprocess.Popen(prefix + list(argv), cwd="/tmp", **options)
    if missing_protections():
        raise SandboxUnavailable(f"no sandbox for student code: {', '.join(missing_protections())} "
                                 f"missing ({_probe()[1] or INSTALL}); or start it unprotected")
    return _popen(_command(argv, python_paths, limits), cwd="/", **options)


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
