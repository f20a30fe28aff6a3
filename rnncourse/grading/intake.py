"""Find every student's notebook in an instructor's submissions folder or zip, losing nobody.

``collect(source, notebook=, assignment=, scratch=)`` reads a folder in place (never modifying it)
or unpacks a zip into ``scratch``, and accounts for every entry: each file or folder is part of
exactly one :class:`Submission` or listed as :class:`Ignored` with a reason. It only looks at names
and file types; no student code runs. A folder and a zip of that folder give the same result.

Rules
-----
* A student is ``NAME.ipynb`` (suffix in any case), a folder ``NAME/``, or a zip ``NAME.zip``
  (unpacked into scratch and read like the folder ``NAME/``; zips inside it are not unpacked).
  Of a zip only the notebooks and zips are written (into scratch); its other entries are listed.
* In a student's folder the notebook graded is the shallowest one named NOTEBOOK (on a tie, the one
  in ``ASSIGNMENT/``), else the only notebook there; otherwise the student gets a ``problem``.
* The root is a group; each entry of a group is a student or a group, decided by content. A folder
  (or nested zip) is plainly a student's if it directly holds NOTEBOOK or ``ASSIGNMENT/`` (unless
  besides them it holds two or more notebooks, notebook folders or zips, one of them a folder: then
  IntakeError naming them); a student's if it holds at most one notebook; a group (a section) if it
  holds two or more folders/zips with notebooks; what its content is if all its notebooks are in one
  subfolder or zip (so one folder wrapping the class is read as the class). A folder of several
  notebooks with other names is a student (with a problem) when a neighbour is plainly a student
  (a notebook file, or as above), a group when no neighbour is a student, else IntakeError; a
  folder of notebooks and one notebook folder is a group when no neighbour is a student, else
  IntakeError. IntakeError messages name the folder and its entries: the instructor decides.
* Ignored with a reason: junk (``__MACOSX``, ``.DS_Store``, ``Thumbs.db``, ``desktop.ini``,
  ``.ipynb_checkpoints``, any hidden name), files other than notebooks where a student is expected
  (``README.txt``), symbolic links (never followed), FIFOs, devices and sockets, files over
  ``max_bytes``, anything nested over 64 folders deep; in zips also absolute or ``..`` paths,
  encrypted, duplicate or clashing entries, zips inside a nested zip, a nested zip that cannot be
  unpacked. A refused ``NAME.ipynb`` or ``NAME.zip`` where a student is expected still gives the
  student NAME, with no notebook and the reason as ``problem``.
* IntakeError (the instructor's to fix): a missing path, neither a folder nor a zip, a corrupt zip,
  over 20000 zip entries or 500 MB unpacked, nothing found, an ambiguous folder (above), two
  students whose ids are equal ignoring case. A broken or oversized zip *inside* the submissions
  only gives that student a problem, so that one student cannot stop the class being graded.
* ``student_id(name)`` depends on the name alone (NFC-normalised): a name already of the form
  ``[A-Za-z0-9._-]`` (up to 64, starting and ending with a letter or digit, not ending in ``-`` and
  8 hex digits) is its own id; any other name gets its ASCII transliteration plus ``-`` and 8 hex digits of its SHA-256
  (``Zoë Müller`` -> ``Zoe_Muller-…``, ``张伟`` -> ``u-…``), so two names never share an id.
* LMS downloads (:mod:`.lms`: Canvas's ``smithalice_LATE_101_5101_exercise.ipynb``, Moodle's
  ``Alice Smith_12345_assignsubmission_file_/``, Blackboard's
  ``Exercise01_asmith_attempt_2026-11-02-09-30-00_exercise.ipynb``) are read by their names: the
  student's name as the LMS wrote it, the LMS's id of the student (``lms``, ``lms_id``) and an id
  made of both (``smithalice_101``, ``Alice_Smith_12345``; Blackboard's username as it is). Of one
  student's entries only the latest attempt (one with a notebook first) is graded; the others are
  Ignored as superseded. Blackboard's ``.txt`` receipts are ignored as not notebooks.
* Submissions are sorted by ``student_id``, Ignored entries by ``entry``.
"""

import hashlib
import os
import re
import stat
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from . import lms

MAX_ENTRIES, MAX_TOTAL, MAX_DEPTH = 20_000, 500 << 20, 64
JUNK = {"__macosx": "macOS archive metadata", ".ds_store": "macOS folder metadata",
        "thumbs.db": "Windows folder metadata", "desktop.ini": "Windows folder metadata",
        ".ipynb_checkpoints": "Jupyter checkpoints"}
PLAIN, HASHED = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,62}[A-Za-z0-9])?"), re.compile(r".*-[0-9a-f]{8}")
LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE",
                         "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "þ": "th", "ı": "i"})


class IntakeError(Exception):
    """The instructor's input cannot be taken as it is: one clear message, naming the entries involved."""


@dataclass
class Submission:
    name: str  # the student's name as given (file, folder or zip name without suffix, NFC)
    student_id: str  # [A-Za-z0-9._-] only, from the name alone: see student_id()
    notebook: Path | None  # the regular file to grade (in the given folder or in scratch), or None
    entry: str  # the notebook's path relative to the root, or the student's own entry if none
    problem: str = ""  # why there is nothing to grade, else ""
    origin: str = ""  # the student's own entry: their folder, zip or notebook file
    lms: str = ""  # the LMS whose download named the entry (canvas, moodle, blackboard), else ""
    lms_id: str = ""  # that LMS's own id of the student (see rnncourse.grading.lms)
    order: tuple = ()  # of one student's entries in an LMS download, the largest is the latest attempt


@dataclass
class Ignored:
    entry: str
    reason: str


class _Broken(Exception):
    """A zip that cannot be unpacked (the reason)."""


@dataclass(eq=False)
class _Node:
    name: str
    entry: str
    path: Path | None = None
    children: dict | None = None  # None for a file
    refused: str = ""  # why a file is refused, or why a nested zip could not be unpacked
    zipped: bool = False  # a nested zip, read as a folder


def student_id(name):
    """A stable nbgrader id for ``name``: see the module's docstring."""
    name = unicodedata.normalize("NFC", name)
    if PLAIN.fullmatch(name) and not HASHED.fullmatch(name):
        return name
    plain = unicodedata.normalize("NFKD", name.translate(LETTERS)).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", plain)[:48].strip("._-")
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{cleaned}-{digest}" if cleaned else f"u-{digest}"


def lms_student_id(known):
    """The student id of an LMS download's entry: its name folded to ASCII and the LMS's id (unique)."""
    if known.lms == "blackboard" or known.name == known.lms_id:
        return student_id(known.lms_id)
    folded = unicodedata.normalize("NFKD", known.name.translate(LETTERS)).encode("ascii", "ignore").decode()
    folded = re.sub(r"[^A-Za-z0-9]+", "_", folded).strip("_")[:40] or "u"
    return student_id(f"{folded}_{known.lms_id}")


def latest_attempts(found):
    """(the submissions graded, [Ignored]): of one student's entries in an LMS download, the latest
    attempt (one with a notebook first) is graded and the others are listed as superseded."""
    groups = {}
    for sub in found:
        groups.setdefault((sub.lms, sub.lms_id) if sub.lms else id(sub), []).append(sub)
    kept, superseded = [], []
    for subs in groups.values():
        best = max(subs, key=lambda s: s.order)
        kept.append(best)
        for sub in subs:
            if sub is not best:
                what = "an earlier attempt" if sub.order[1:] < best.order[1:] else "another entry of this student"
                superseded.append(Ignored(sub.origin, f"superseded: {what} ({sub.lms} id {sub.lms_id}); "
                                                      f"graded: {best.entry}"))
    return kept, superseded


def _junk(name):
    return JUNK.get(name.casefold()) or ("hidden file or folder" if name.startswith(".") else "")


def _refusal(mode, size, max_bytes):
    if stat.S_ISLNK(mode):
        return "symbolic link (not followed)"
    if stat.S_ISDIR(mode):
        return ""
    if not stat.S_ISREG(mode):
        return "special file (FIFO, device or socket)"
    return f"larger than {max_bytes} bytes" if size > max_bytes else ""


def _is_notebook(node):
    return node.children is None and not node.refused and node.name.lower().endswith(".ipynb")


def _notebooks(node, prefix=()):
    """(parts relative to node, node) of every notebook inside ``node``."""
    for name, child in sorted(node.children.items()):
        if child.children is not None:
            yield from _notebooks(child, prefix + (name,))
        elif _is_notebook(child):
            yield prefix + (name,), child


def _join(*parts):
    return "/".join(p for p in parts if p)


class _Intake:
    def __init__(self, notebook, assignment, scratch, max_bytes):
        self.notebook, self.assignment, self.scratch, self.max_bytes = notebook, assignment, scratch, max_bytes
        self.ignored, self.found, self.entries, self.bytes = {}, [], 0, 0

    def ignore(self, entry, reason):
        self.ignored.setdefault(entry, reason)

    def leaf(self, name, entry, reason, path=None, nested=True):
        """A file's node: refused (and ignored), a nested zip read as a folder, or a plain file."""
        if not reason and name.lower().endswith(".zip"):
            if nested:
                reason = "zip inside a zip (not unpacked)"
            else:
                try:
                    return self.read_zip(path, entry)
                except _Broken as error:
                    self.ignore(entry, f"cannot be unpacked: {error}")
                    return _Node(name, entry, None, {}, str(error), zipped=True)
        if reason:
            self.ignore(entry, reason)
        return _Node(name, entry, path, None, reason)

    def read_folder(self, folder, entry, depth):
        node = _Node(folder.name, entry, folder, {})
        try:
            names = sorted(os.listdir(folder))
        except OSError as error:
            if not entry:
                raise IntakeError(f"cannot read {folder}: {error.strerror}") from None
            self.ignore(entry, f"cannot be read ({error.strerror})")
            return node
        for name in names:
            path, rel = folder / name, _join(entry, name)
            reason, mode = ("nested too deeply" if depth >= MAX_DEPTH else _junk(name)), 0
            if not reason:
                try:
                    st = os.lstat(path)
                    mode, reason = st.st_mode, _refusal(st.st_mode, st.st_size, self.max_bytes)
                except OSError as error:
                    reason = f"cannot be read ({error.strerror})"
            if not reason and stat.S_ISDIR(mode):
                node.children[name] = self.read_folder(path, rel, depth + 1)
            else:
                node.children[name] = self.leaf(name, rel, reason, path, nested=False)
        return node

    def read_zip(self, path, entry, outer=False):
        """The tree of a zip, its notebooks and zips unpacked into scratch; _Broken if it cannot be."""
        try:
            with zipfile.ZipFile(path) as archive:
                return self._unzip(archive, path.name, entry, outer)
        except (zipfile.BadZipFile, EOFError, zlib.error) as error:
            raise _Broken(f"not a valid zip ({error})") from None
        except OSError as error:
            raise _Broken(f"cannot be read ({error.strerror})") from None

    def _unzip(self, archive, name, entry, outer):
        infos = archive.infolist()
        self.entries += len(infos)
        if self.entries > MAX_ENTRIES:
            raise _Broken(f"more than {MAX_ENTRIES} entries")
        wanted = sum(i.file_size for i in infos if i.file_size <= self.max_bytes
                     and i.filename.lower().endswith((".ipynb", ".zip")))
        if self.bytes + wanted > MAX_TOTAL:
            raise _Broken(f"unpacks to more than {MAX_TOTAL >> 20} MB")
        target = Path(tempfile.mkdtemp(prefix="unzip-", dir=self.scratch))
        root = _Node(name, entry, target, {}, zipped=not outer)
        for info in infos:
            raw = info.filename
            if not info.flag_bits & 0x800:  # many zippers write UTF-8 names without saying so
                try:
                    raw = raw.encode("cp437").decode("utf-8")
                except UnicodeError:
                    pass
            shown, raw = raw, raw.replace("\\", "/")
            parts = [p for p in raw.split("/") if p not in ("", ".")]
            if raw.startswith("/") or re.match(r"[A-Za-z]:", raw) or ".." in parts:
                self.ignore(_join(entry, shown), "unsafe path (absolute or with '..'), not unpacked")
                continue
            mode = info.external_attr >> 16
            is_dir = raw.endswith("/") or stat.S_ISDIR(mode)
            mode = mode if stat.S_IFMT(mode) else (stat.S_IFDIR if is_dir else stat.S_IFREG)
            cut = next((i for i, p in enumerate(parts) if i >= MAX_DEPTH or _junk(p)), None)
            if cut is not None:  # as a folder walk would stop at that component
                parts, reason = parts[:cut + 1], ("nested too deeply" if cut >= MAX_DEPTH else _junk(parts[cut]))
            else:
                reason = _refusal(mode, info.file_size, self.max_bytes)
                if not reason and not is_dir and info.flag_bits & 0x1:
                    reason = "encrypted"
            if parts:
                self._place(archive, info, root, parts, reason, is_dir and not reason, cut is not None, outer)
        return root

    def _place(self, archive, info, root, parts, reason, is_dir, cut, outer):
        parent, rel = root, _join(root.entry, *parts)
        for i, part in enumerate(parts[:-1]):
            parent = parent.children.setdefault(part, _Node(part, _join(root.entry, *parts[:i + 1]),
                                                            root.path.joinpath(*parts[:i + 1]), {}))
            if parent.children is None or parent.zipped:
                return self.ignore(rel, f"clashes with the file {parent.entry} in the zip")
        existing, name = parent.children.get(parts[-1]), parts[-1]
        if existing is not None:
            if not cut and not (is_dir and existing.children is not None):
                self.ignore(rel, "duplicate entry in the zip")
            return
        path = root.path.joinpath(*parts)
        if is_dir:
            parent.children[name] = _Node(name, rel, path, {})
            return
        if not reason and name.lower().endswith((".ipynb", ".zip")) and (outer or name.lower().endswith(".ipynb")):
            reason = self._extract(archive, info, path, rel)
        parent.children[name] = self.leaf(name, rel, reason, path if not reason else None, nested=not outer)

    def _extract(self, archive, info, dest, rel):
        """Copy one entry to dest, never more than max_bytes; '' or why not."""
        if not dest.resolve().is_relative_to(self.scratch.resolve()):
            return "would be written outside scratch"
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(dest, "xb") as out:
                size = 0
                while chunk := src.read(1 << 16):
                    size, self.bytes = size + len(chunk), self.bytes + len(chunk)
                    if self.bytes > MAX_TOTAL:
                        raise _Broken(f"unpacks to more than {MAX_TOTAL >> 20} MB")
                    if size > self.max_bytes:
                        raise ValueError(f"larger than {self.max_bytes} bytes")
                    out.write(chunk)
            return ""
        except NotImplementedError:
            reason = "compressed with a method that cannot be read"
        except (zipfile.BadZipFile, EOFError, zlib.error) as error:
            raise _Broken(f"corrupt entry {rel} ({error})") from None
        except (OSError, ValueError) as error:
            reason = str(error) if str(error).startswith("larger") else f"cannot be unpacked ({error})"
        dest.unlink(missing_ok=True)
        return reason

    def classify(self, d):
        """'strong' (plainly a student), 'student', 'group', 'loose' (only several notebooks) or 'mixed'."""
        kids = [c for c in d.children.values() if c.children is not None or not c.refused]
        own = [c for c in kids if (_is_notebook(c) and c.name.casefold() == self.notebook.casefold())
               or (c.children is not None and not c.zipped and c.name == self.assignment)]
        members = [c for c in kids if c not in own and (_is_notebook(c) or c.zipped
                                                        or (c.children is not None and any(_notebooks(c))))]
        folders = [c for c in members if c.children is not None]
        if own:
            if folders and len(members) >= 2:
                raise IntakeError(
                    f"cannot tell whether {d.entry}/ is one student's folder or a group of students: it holds "
                    f"{', '.join(c.entry for c in own)} but also {', '.join(c.entry for c in members)}; "
                    "move the other students out of it, or the stray files away")
            return "strong"
        if len(folders) >= 2:
            return "group"
        if len(members) == 1 and folders:  # a wrapper: read as what it wraps
            return self.classify(folders[0])
        return "student" if len(members) <= 1 else "mixed" if folders else "loose"

    def group(self, d):
        kinds = {}
        for c in sorted(d.children.values(), key=lambda c: c.name):
            if c.children is not None:
                kinds[c] = self.classify(c)
            elif c.refused:
                if not _junk(c.name) and c.name.lower().endswith((".ipynb", ".zip")):
                    self.student(c)
            elif _is_notebook(c):
                kinds[c] = "strong"
            else:
                known = lms.recognise(c.name)
                self.ignore(c.entry, "not a notebook" + (f" ({known.lms}'s receipt of an attempt)" if known and
                                                         known.lms == "blackboard" else ""))
        strong = "strong" in kinds.values()
        students = [n.entry for n, k in kinds.items() if k == "strong" or (k == "student" and any(_notebooks(n)))]
        for c, kind in kinds.items():
            if (kind == "loose" and not strong and students) or (kind == "mixed" and students):
                raise IntakeError(
                    f"cannot tell whether {c.entry}/ is one student's folder or a group of students: it holds "
                    f"{', '.join(_join(c.entry, *p) for p, _ in _notebooks(c))}, next to students "
                    f"({', '.join(students)}); move its students out of it, or its extra notebooks away")
            if kind in ("group", "mixed") or (kind == "loose" and not strong):
                self.group(c)
            else:
                self.student(c)

    def student(self, c):
        stem = c.name
        if c.children is None or c.zipped:  # NAME.ipynb or NAME.zip
            stem = c.name[:-6] if c.name.lower().endswith(".ipynb") else c.name[:-4]
        if c.children is None:
            notebook, entry, problem = (None, c.entry, f"{c.name} was refused: {c.refused}") if c.refused \
                else (c.path, c.entry, "")
        else:
            notebook, entry, problem = self.pick(c)
        name = unicodedata.normalize("NFC", stem).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        known = lms.recognise(unicodedata.normalize("NFC", c.name))
        if known:
            self.found.append(Submission(known.name, lms_student_id(known), notebook, entry, problem, c.entry,
                                         known.lms, known.lms_id, (notebook is not None, known.order)))
        else:
            self.found.append(Submission(name, student_id(stem), notebook, entry, problem, c.entry))

    def pick(self, d):
        """(notebook, entry, problem) for a student's folder."""
        if d.refused:
            return None, d.entry, f"{d.name} cannot be unpacked: {d.refused}"
        found = list(_notebooks(d))
        named = ([f for f in found if f[0][-1] == self.notebook]
                 or [f for f in found if f[0][-1].casefold() == self.notebook.casefold()])
        if named:
            depth = min(len(p) for p, _ in named)
            found = [f for f in named if len(f[0]) == depth]
            found = [f for f in found if f[0][-2:-1] == (self.assignment,)] or found
            if len(found) > 1:
                return None, d.entry, (f"several notebooks named {self.notebook} in {d.entry}/: "
                                       + ", ".join("/".join(p) for p, _ in found))
        if len(found) == 1:
            return found[0][1].path, found[0][1].entry, ""
        if found:
            return None, d.entry, (f"several notebooks and none named {self.notebook}: "
                                   + ", ".join("/".join(p) for p, _ in found))
        inside = ", ".join([f"{e} ({r})" for e, r in sorted(self.ignored.items()) if e.startswith(d.entry + "/")][:3])
        return None, d.entry, f"no notebook in {d.entry}/" + f"; ignored there: {inside}" * bool(inside)


def collect(source, *, notebook, assignment, scratch, max_bytes=20 << 20):
    """(submissions sorted by student_id, ignored entries sorted by entry) of a folder or a zip."""
    source, scratch = Path(source), Path(scratch)
    if not source.exists():
        raise IntakeError(f"no such file or folder: {source}")
    if source.is_dir() and scratch.resolve().is_relative_to(source.resolve()):
        raise IntakeError(f"the scratch folder {scratch} must not be inside the submissions {source}")
    scratch.mkdir(parents=True, exist_ok=True)
    intake = _Intake(notebook, assignment, scratch, max_bytes)
    if source.is_dir():
        root = intake.read_folder(source, "", 0)
    elif source.is_file() and (zipfile.is_zipfile(source) or source.suffix.lower() == ".zip"):
        try:
            root = intake.read_zip(source, "", outer=True)
        except _Broken as error:
            raise IntakeError(f"cannot unpack {source}: {error}") from None
    else:
        raise IntakeError(f"{source} is neither a folder nor a zip file")
    intake.group(root)
    found, superseded = latest_attempts(intake.found)
    for item in superseded:
        intake.ignore(item.entry, item.reason)
    found = sorted(found, key=lambda s: (s.student_id, s.origin))
    seen, clashes = {}, []
    for sub in found:
        first = seen.setdefault(sub.student_id.casefold(), sub)
        if first is not sub:
            clashes.append(f"{first.origin} and {sub.origin} (both {sub.student_id})")
    if clashes:
        raise IntakeError("these would be the same student, rename or remove one of each: " + "; ".join(clashes))
    if not found:
        raise IntakeError(f"no submissions in {source}: expected one NAME.ipynb, NAME/ folder holding {notebook} or "
                          f"NAME.zip per student" + f" ({len(intake.ignored)} entries ignored)" * bool(intake.ignored))
    return found, [Ignored(e, r) for e, r in sorted(intake.ignored.items())]
