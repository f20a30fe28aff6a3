"""The intake of an instructor's submissions (rnncourse.grading.intake): every student found, none
lost or mixed up, nothing unsafe followed or unpacked. Every layout is tried as a folder and as a zip
of that folder, which must give the same result."""

import io
import os
import re
import stat
import zipfile
from pathlib import Path

import pytest

from rnncourse.grading import intake
from rnncourse.grading.intake import IntakeError, collect, student_id

NB, ASSIGNMENT = "exercise.ipynb", "01-rnn-cell"
DIR = object()  # an empty folder in a layout
FORMS = pytest.mark.parametrize("form", ["folder", "zip"])


def link(target):
    return ("symlink", str(target))


def zip_bytes(layout):
    """A zip (bytes) of {path: text}; an entry's text defaults to its own path."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in layout.items():
            archive.writestr(name, name if text is None else text)
    return out.getvalue()


def build(root, layout):
    """Files named by their path, holding their path as text unless the layout gives other content."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in layout.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is DIR:
            path.mkdir(exist_ok=True)
        elif isinstance(content, tuple) and content[0] == "symlink":
            os.symlink(content[1], path)
        elif isinstance(content, tuple) and content[0] == "fifo":
            os.mkfifo(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(name if content is None else content)


def zip_folder(folder, target):
    """A zip of a folder as an archiver makes it: folder entries, symlinks as symlink entries."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            rel, mode = path.relative_to(folder).as_posix(), path.lstat().st_mode
            if stat.S_ISLNK(mode):
                info = zipfile.ZipInfo(rel)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(info, os.readlink(path))
            elif stat.S_ISDIR(mode):
                archive.write(path, rel + "/")
            else:
                archive.write(path, rel)
    return target


def make(tmp_path, layout, form):
    folder = tmp_path / "class"
    build(folder, layout)
    return folder if form == "folder" else zip_folder(folder, tmp_path / "class.zip")


def run(source, tmp_path, **options):
    subs, ignored = collect(source, notebook=NB, assignment=ASSIGNMENT, scratch=tmp_path / "scratch", **options)
    check_accounted(source, subs, ignored)
    for sub in subs:
        assert re.fullmatch(r"[A-Za-z0-9._-]+", sub.student_id)
        if sub.notebook is not None:
            assert not sub.problem and stat.S_ISREG(os.lstat(sub.notebook).st_mode)
            inside = sub.notebook.resolve()
            assert inside.is_relative_to((tmp_path / "scratch").resolve()) or (
                source.is_dir() and inside.is_relative_to(source.resolve()))
            assert sub.notebook.read_text() == sub.entry  # each test file holds its own path
        else:
            assert sub.problem
    assert [s.student_id for s in subs] == sorted(s.student_id for s in subs)
    assert [i.entry for i in ignored] == sorted(i.entry for i in ignored)
    return {s.name: s for s in subs}, {i.entry: i.reason for i in ignored}


def zip_entries(archive, prefix=""):
    names = {}
    for info in archive.infolist():  # names as an unzipper reads them
        name = info.filename
        if not info.flag_bits & 0x800:
            try:
                name = name.encode("cp437").decode("utf-8")
            except UnicodeError:
                pass
        names[name] = info
    found = [prefix + n.rstrip("/") for n in names
             if not n.endswith("/") or not any(m.startswith(n) and m != n for m in names)]
    for name, info in names.items():  # and the entries of the zips inside, one level down
        data = io.BytesIO(archive.read(info)) if not prefix and name.lower().endswith(".zip") else None
        if data and zipfile.is_zipfile(data):
            found += zip_entries(zipfile.ZipFile(data), name + "/")
    return found


def input_entries(source):
    """Every file, link, special file and empty folder of a folder or zip (and of the zips in it)."""
    if not source.is_dir():
        return zip_entries(zipfile.ZipFile(source))
    found = []
    for path in sorted(source.rglob("*")):
        rel, mode = path.relative_to(source).as_posix(), path.lstat().st_mode
        if not stat.S_ISDIR(mode) or not any(path.iterdir()):
            found.append(rel)
        if stat.S_ISREG(mode) and path.suffix == ".zip" and zipfile.is_zipfile(path):
            found += zip_entries(zipfile.ZipFile(path), rel + "/")
    return found


def check_accounted(source, subs, ignored):
    """Each entry is inside (or is) one student's own entry, or is ignored, or is a zip of students."""
    owners = [s.origin for s in subs]
    skipped = {i.entry for i in ignored}
    for entry in input_entries(source):
        if entry not in skipped:  # Windows separators, as the intake reads them
            entry = entry.replace("\\", "/")
        parents = ["/".join(entry.split("/")[:i]) for i in range(1, entry.count("/") + 2)]
        owned = sum(entry == o or entry.startswith(o + "/") for o in owners)
        assert owned == 1 or any(p in skipped for p in parents) or (
            entry.endswith(".zip") and any(o.startswith(entry + "/") for o in owners)), \
            f"{entry} is neither one student's nor ignored"


def same(subs, ignored):
    """What a folder and a zip of it must agree on."""
    return ({n: (s.student_id, s.entry, s.problem, s.notebook is None) for n, s in subs.items()}, ignored)


@FORMS
def test_every_per_student_form(tmp_path, form):
    layout = {"alice.ipynb": None, "bob.IPYNB": None, "carol/exercise.ipynb": None,
              "carol/.ipynb_checkpoints/exercise-checkpoint.ipynb": None, "carol/data.csv": None,
              f"dan/{ASSIGNMENT}/exercise.ipynb": None, f"dan/{ASSIGNMENT}/scratch.ipynb": None,
              "erin/work/my answers.ipynb": None, "hal": DIR,
              "fay.zip": zip_bytes({"exercise.ipynb": "fay.zip/exercise.ipynb"}),
              "gus.zip": zip_bytes({"gus/exercise.ipynb": "gus.zip/gus/exercise.ipynb", "gus/notes.ipynb": None}),
              "README.txt": None, "grades.csv": None, ".DS_Store": None, "Thumbs.db": None, "desktop.ini": None,
              "__MACOSX/._alice.ipynb": None, ".hidden.ipynb": None}
    subs, ignored = run(make(tmp_path, layout, form), tmp_path)
    assert {n: s.entry for n, s in subs.items()} == {
        "alice": "alice.ipynb", "bob": "bob.IPYNB", "carol": "carol/exercise.ipynb",
        "dan": f"dan/{ASSIGNMENT}/exercise.ipynb", "erin": "erin/work/my answers.ipynb",
        "fay": "fay.zip/exercise.ipynb", "gus": "gus.zip/gus/exercise.ipynb", "hal": "hal"}
    assert subs["hal"].problem == "no notebook in hal/"
    assert subs["fay"].notebook.resolve().is_relative_to((tmp_path / "scratch").resolve())
    assert ignored == {".DS_Store": "macOS folder metadata", ".hidden.ipynb": "hidden file or folder",
                       "README.txt": "not a notebook", "Thumbs.db": "Windows folder metadata",
                       "__MACOSX": "macOS archive metadata", "carol/.ipynb_checkpoints": "Jupyter checkpoints",
                       "desktop.ini": "Windows folder metadata", "grades.csv": "not a notebook"}


@FORMS
def test_wrapping_folders_and_stray_files(tmp_path, form):
    layout = {"class-download/inner/alice.ipynb": None, "class-download/inner/bob/exercise.ipynb": None,
              "class-download/inner/carol/answers.ipynb": None, "class-download/grades.csv": None,
              "README.txt": None, "__MACOSX/class-download/._x": None}
    subs, ignored = run(make(tmp_path, layout, form), tmp_path)
    assert sorted(subs) == ["alice", "bob", "carol"]
    assert subs["carol"].entry == "class-download/inner/carol/answers.ipynb"
    assert ignored == {"README.txt": "not a notebook", "__MACOSX": "macOS archive metadata",
                       "class-download/grades.csv": "not a notebook"}


@FORMS
def test_sections_are_groups_of_students(tmp_path, form):
    layout = {"section-a/alice.ipynb": None, "section-a/bob.ipynb": None, "section-b/carol/exercise.ipynb": None,
              "section-b/dan/exercise.ipynb": None, "section-b/notes.txt": None}
    subs, ignored = run(make(tmp_path, layout, form), tmp_path)
    assert {n: s.entry for n, s in subs.items()} == {
        "alice": "section-a/alice.ipynb", "bob": "section-a/bob.ipynb",
        "carol": "section-b/carol/exercise.ipynb", "dan": "section-b/dan/exercise.ipynb"}
    assert ignored == {"section-b/notes.txt": "not a notebook"}


@FORMS
def test_the_old_discover_layout_gives_the_same_students(tmp_path, form):
    """tests/test_grading.py::test_discover_finds_every_student_and_loses_none."""
    layout = {name: "{}" for name in (
        "a b.ipynb", "a_b.ipynb", "carol/01-rnn-cell/exercise.ipynb", "dave/my answers.ipynb",
        "frank/exercise.ipynb", "frank/old/exercise.ipynb", "gina/x.ipynb", "gina/y.ipynb",
        ".ipynb_checkpoints/a b-checkpoint.ipynb", "__MACOSX/._a b.ipynb")}
    layout["erin"] = DIR
    source = make(tmp_path, layout, form)
    subs, ignored = collect(source, notebook=NB, assignment=ASSIGNMENT, scratch=tmp_path / "scratch")
    check_accounted(source, subs, ignored)
    found = {s.name: s for s in subs}
    assert sorted(found) == ["a b", "a_b", "carol", "dave", "erin", "frank", "gina"]
    assert len({s.student_id for s in subs}) == 7 and found["a_b"].student_id == "a_b"
    assert found["carol"].notebook.name == "exercise.ipynb"
    assert found["dave"].notebook.name == "my answers.ipynb"
    assert found["frank"].entry == "frank/exercise.ipynb"
    assert found["erin"].notebook is None and "no notebook" in found["erin"].problem
    assert found["gina"].notebook is None and "x.ipynb, y.ipynb" in found["gina"].problem
    assert found["gina"].problem == "several notebooks and none named exercise.ipynb: x.ipynb, y.ipynb"


UNICODE = ["Zoë Müller", "Zoe Muller", "张伟", "李娜", "محمد علي", "😀", "🙂", "Ñandú", "a b", "a_b", "a-b", "A_B"]


def test_student_ids_are_stable_distinct_and_clean():
    ids = {name: student_id(name) for name in UNICODE}
    assert len(set(ids.values())) == len(UNICODE)
    assert len({i.casefold() for i in ids.values()}) == len(UNICODE) - 1  # only "a_b" and "A_B"
    assert ids["a_b"] == "a_b" and ids["a-b"] == "a-b" and ids["A_B"] == "A_B"
    assert re.fullmatch(r"Zoe_Muller-[0-9a-f]{8}", ids["Zoë Müller"]) and ids["Zoe Muller"] != ids["Zoë Müller"]
    assert re.fullmatch(r"a_b-[0-9a-f]{8}", ids["a b"])
    assert re.fullmatch(r"u-[0-9a-f]{8}", ids["张伟"]) and re.fullmatch(r"u-[0-9a-f]{8}", ids["😀"])
    assert re.fullmatch(r"Nandu-[0-9a-f]{8}", ids["Ñandú"])
    assert student_id("Zoe\u0308 Mu\u0308ller") == ids["Zoë Müller"]  # macOS (NFD) spelling, same student
    assert student_id("Straße").startswith("Strasse-")
    for name in ("alice", "Bob.Smith", "x-1"):
        assert student_id(name) == name
    for name in ("", ".", "..", "-x", "x.", "a_b-deadbeef", "x" * 70, "a/b", "a\\b"):
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*-[0-9a-f]{8}|u-[0-9a-f]{8}", student_id(name)), name
    assert student_id("a_b-deadbeef") != "a_b-deadbeef"


@FORMS
def test_unicode_names_are_kept_with_ids_independent_of_the_batch(tmp_path, form):
    names = ["Zoë Müller", "张伟", "محمد علي", "😀 Smile", "a b", "a_b"]
    first = {"Zoë Müller.ipynb": None, "张伟/exercise.ipynb": None, "محمد علي.ipynb": None, "😀 Smile.zip":
             zip_bytes({"exercise.ipynb": "😀 Smile.zip/exercise.ipynb"}), "a b.ipynb": None, "a_b.ipynb": None}
    subs, _ = run(make(tmp_path / "1", first, form), tmp_path / "1")
    assert sorted(subs) == sorted(names)
    ids = {n: s.student_id for n, s in subs.items()}
    assert len(set(ids.values())) == len(names) and ids["a_b"] == "a_b" and ids["a b"] != "a_b"
    assert ids == {n: student_id(n) for n in names}
    # Another batch, other companions, different layout: the same names give the same ids.
    second = {"section-1/Zoë Müller/exercise.ipynb": None, "section-1/zed/exercise.ipynb": None,
              "section-2/张伟.ipynb": None, "section-2/a b.ipynb": None}
    again, _ = run(make(tmp_path / "2", second, form), tmp_path / "2")
    assert {n: s.student_id for n, s in again.items()} == {
        "Zoë Müller": ids["Zoë Müller"], "zed": "zed", "张伟": ids["张伟"], "a b": ids["a b"]}


@FORMS
def test_symlinks_are_never_followed(tmp_path, form):
    solution = tmp_path / "solutions" / "exercise.ipynb"
    build(tmp_path / "solutions", {"exercise.ipynb": "solution"})
    layout = {"alice.ipynb": None, "mallory.ipynb": link("/etc/passwd"), "eve/exercise.ipynb": link(solution),
              "trudy": link(tmp_path / "solutions"), "oscar/exercise.ipynb": None,
              "oscar/solution.ipynb": link(solution), "notes.ipynb.txt": link("/etc/passwd")}
    subs, ignored = run(make(tmp_path, layout, form), tmp_path)
    assert sorted(subs) == ["alice", "eve", "mallory", "oscar"]
    refused = "symbolic link (not followed)"
    assert subs["mallory"].notebook is None and subs["mallory"].problem == f"mallory.ipynb was refused: {refused}"
    assert subs["eve"].notebook is None and subs["eve"].problem.startswith("no notebook in eve/")
    assert "eve/exercise.ipynb" in subs["eve"].problem and subs["oscar"].entry == "oscar/exercise.ipynb"
    assert ignored == {"eve/exercise.ipynb": refused, "mallory.ipynb": refused, "notes.ipynb.txt": refused,
                       "oscar/solution.ipynb": refused, "trudy": refused}


def test_special_files_are_refused(tmp_path):
    layout = {"alice.ipynb": None, "bob.ipynb": ("fifo",), "carol/exercise.ipynb": ("fifo",), "pipe": ("fifo",)}
    build(tmp_path / "class", layout)
    subs, ignored = run(tmp_path / "class", tmp_path)  # would hang if a FIFO were opened
    special = "special file (FIFO, device or socket)"
    assert subs["bob"].problem == f"bob.ipynb was refused: {special}" and subs["alice"].notebook
    assert subs["carol"].notebook is None and "no notebook in carol/" in subs["carol"].problem
    assert ignored == {"bob.ipynb": special, "carol/exercise.ipynb": special, "pipe": special}


def test_special_file_entries_in_a_zip_are_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as archive:
        archive.writestr("alice.ipynb", "alice.ipynb")
        info = zipfile.ZipInfo("bob.ipynb")
        info.external_attr = (stat.S_IFIFO | 0o644) << 16
        archive.writestr(info, "")
    subs, ignored = run(tmp_path / "class.zip", tmp_path)
    assert subs["bob"].notebook is None and ignored == {"bob.ipynb": "special file (FIFO, device or socket)"}


def test_zip_slip_entries_are_refused_and_nothing_is_written_outside_scratch(tmp_path):
    evil = ["../evil.ipynb", "../../evil.ipynb", "/tmp/evil-intake.ipynb", "alice/../../evil.ipynb",
            "C:/evil.ipynb", "..\\evil.ipynb", "bob/..\\..\\evil.ipynb"]
    (tmp_path / "in").mkdir()
    with zipfile.ZipFile(tmp_path / "in" / "class.zip", "w") as archive:
        for name in evil:
            archive.writestr(zipfile.ZipInfo(name), "evil")
        archive.writestr("alice/exercise.ipynb", "alice/exercise.ipynb")
        archive.writestr("bob.ipynb", "bob.ipynb")
    before = set(Path("/tmp").glob("evil*"))
    subs, ignored = run(tmp_path / "in" / "class.zip", tmp_path)
    assert sorted(subs) == ["alice", "bob"]
    assert ignored == {name: "unsafe path (absolute or with '..'), not unpacked" for name in evil}
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.is_relative_to(tmp_path / "scratch") or p == tmp_path / "in" / "class.zip" for p in written)
    assert not any("evil" in p.read_text() for p in written if p.suffix == ".ipynb")
    assert set(Path("/tmp").glob("evil*")) == before


def set_encrypted_flag(path, member):
    """Mark one entry as encrypted (the zipfile module cannot write encrypted zips)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, flags, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = data.find(signature)
        while at >= 0:
            if data[at + name_at:at + name_at + len(name)] == name:
                data[at + flags] |= 0x1
            at = data.find(signature, at + 1)
    path.write_bytes(bytes(data))


def test_encrypted_entries_are_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as archive:
        for name in ("alice.ipynb", "bob/exercise.ipynb", "carol.ipynb"):
            archive.writestr(name, name)
    set_encrypted_flag(tmp_path / "class.zip", "bob/exercise.ipynb")
    set_encrypted_flag(tmp_path / "class.zip", "carol.ipynb")
    subs, ignored = run(tmp_path / "class.zip", tmp_path)
    assert subs["alice"].notebook and subs["bob"].notebook is None and subs["carol"].notebook is None
    assert subs["carol"].problem == "carol.ipynb was refused: encrypted"
    assert ignored == {"bob/exercise.ipynb": "encrypted", "carol.ipynb": "encrypted"}


@FORMS
def test_files_over_the_size_limit_are_refused(tmp_path, form):
    big = "x" * 500
    layout = {"alice.ipynb": None, "bob.ipynb": big, "carol/exercise.ipynb": big, "dan/exercise.ipynb": None,
              "dan/data.bin": big, "erin.zip": big}
    subs, ignored = run(make(tmp_path, layout, form), tmp_path, max_bytes=100)
    assert subs["bob"].problem == "bob.ipynb was refused: larger than 100 bytes"
    assert subs["carol"].notebook is None and "carol/exercise.ipynb (larger than 100 bytes)" in subs["carol"].problem
    assert subs["dan"].notebook and subs["erin"].problem == "erin.zip was refused: larger than 100 bytes"
    assert ignored == {e: "larger than 100 bytes" for e in ("bob.ipynb", "carol/exercise.ipynb", "dan/data.bin",
                                                           "erin.zip")}


@FORMS
def test_nested_zips_are_unpacked_one_level_only(tmp_path, form):
    inner = zip_bytes({"exercise.ipynb": "deep"})
    layout = {"bob.zip": zip_bytes({"bob/exercise.ipynb": "bob.zip/bob/exercise.ipynb", "bob/inner.zip": inner,
                                    "bob/.DS_Store": None}),
              "carol.zip": zip_bytes({"inner.zip": inner}), "dan.zip": b"not a zip at all",
              "late.zip": zip_bytes({"erin.ipynb": "late.zip/erin.ipynb", "fay/exercise.ipynb":
                                     "late.zip/fay/exercise.ipynb", "fay/extra.zip": inner,
                                     "gil/exercise.ipynb": "late.zip/gil/exercise.ipynb"}),
              "Gus Moodle_123_assignsubmission_file_/submission.zip": zip_bytes(
                  {"exercise.ipynb": "Gus Moodle_123_assignsubmission_file_/submission.zip/exercise.ipynb"})}
    subs, ignored = run(make(tmp_path, layout, form), tmp_path)
    assert sorted(subs) == ["Gus Moodle", "bob", "carol", "dan", "erin", "fay", "gil"]  # Moodle's folder: its name
    assert (subs["Gus Moodle"].lms, subs["Gus Moodle"].lms_id, subs["Gus Moodle"].student_id) == (
        "moodle", "123", "Gus_Moodle_123")
    assert subs["bob"].entry == "bob.zip/bob/exercise.ipynb" and subs["fay"].entry == "late.zip/fay/exercise.ipynb"
    assert subs["carol"].problem == ("no notebook in carol.zip/; ignored there: "
                                     "carol.zip/inner.zip (zip inside a zip (not unpacked))")
    assert ignored["late.zip/fay/extra.zip"] == "zip inside a zip (not unpacked)"
    assert subs["dan"].notebook is None and subs["dan"].problem.startswith("dan.zip cannot be unpacked")
    assert ignored["bob.zip/bob/inner.zip"] == "zip inside a zip (not unpacked)"
    assert ignored["bob.zip/bob/.DS_Store"] == "macOS folder metadata"
    assert ignored["dan.zip"].startswith("cannot be unpacked: not a valid zip")


@FORMS
def test_ambiguous_folders_are_the_instructors_to_decide(tmp_path, form):
    layout = {"alice.ipynb": None, "x/exercise.ipynb": None, "x/bob.ipynb": None, "x/carol/exercise.ipynb": None}
    with pytest.raises(IntakeError) as error:
        collect(make(tmp_path / "1", layout, form), notebook=NB, assignment=ASSIGNMENT, scratch=tmp_path / "s1")
    for named in ("x/", "x/exercise.ipynb", "x/bob.ipynb", "x/carol"):
        assert named in str(error.value)
    # Several notebooks with other names, next to folders of one notebook each: student or section?
    layout = {"dave/answers.ipynb": None, "gina/x.ipynb": None, "gina/y.ipynb": None}
    with pytest.raises(IntakeError) as error:
        collect(make(tmp_path / "2", layout, form), notebook=NB, assignment=ASSIGNMENT, scratch=tmp_path / "s2")
    for named in ("gina/", "gina/x.ipynb", "gina/y.ipynb", "dave"):
        assert named in str(error.value)
    # Notebooks and one notebook folder, next to a student: a student's work folder, or a section?
    layout = {"alice.ipynb": None, "late/bob.ipynb": None, "late/carol/exercise.ipynb": None}
    with pytest.raises(IntakeError) as error:
        collect(make(tmp_path / "3", layout, form), notebook=NB, assignment=ASSIGNMENT, scratch=tmp_path / "s3")
    for named in ("late/", "late/bob.ipynb", "late/carol/exercise.ipynb", "alice.ipynb"):
        assert named in str(error.value)


@FORMS
def test_layouts_that_are_not_ambiguous(tmp_path, form):
    layout = {"frank/exercise.ipynb": None, "frank/exercise-Copy1.ipynb": None, "frank/scratch.ipynb": None,
              "gina/exercise/exercise.ipynb": None, "gina/exercise/notes.ipynb": None,
              f"hal/{ASSIGNMENT}/exercise.ipynb": None, "hal/exercise.ipynb": None,
              f"ida/{ASSIGNMENT}/exercise.ipynb": None, "ida/old/exercise.ipynb": None,
              "jo/a/exercise.ipynb": None, "jo/b/exercise.ipynb": None, "jo/c.ipynb": None}
    subs, _ = run(make(tmp_path, layout, form), tmp_path)
    assert {n: s.entry for n, s in subs.items()} == {
        "frank": "frank/exercise.ipynb", "gina": "gina/exercise/exercise.ipynb", "hal": "hal/exercise.ipynb",
        "ida": f"ida/{ASSIGNMENT}/exercise.ipynb", "a": "jo/a/exercise.ipynb", "b": "jo/b/exercise.ipynb",
        "c": "jo/c.ipynb"}


DUPLICATES = [
    ({"alice.ipynb": None, "alice/exercise.ipynb": None, "bob.ipynb": None}, "alice and alice.ipynb"),
    ({"section-a/alice.ipynb": None, "section-a/bob.ipynb": None, "section-b/alice/exercise.ipynb": None,
      "section-b/carol/exercise.ipynb": None}, "section-a/alice.ipynb and section-b/alice"),
    ({"Bob.ipynb": None, "bob.ipynb": None}, "Bob.ipynb and bob.ipynb"),
    ({"alice.zip": zip_bytes({"exercise.ipynb": None}), "alice.IPYNB": None}, "alice.IPYNB and alice.zip"),
]


@FORMS
@pytest.mark.parametrize("layout, both", DUPLICATES)
def test_two_submissions_of_one_student_are_the_instructors_to_decide(tmp_path, form, layout, both):
    with pytest.raises(IntakeError, match="these would be the same student") as error:
        collect(make(tmp_path, layout, form), notebook=NB, assignment=ASSIGNMENT, scratch=tmp_path / "s")
    assert both in str(error.value)


def test_the_instructors_mistakes(tmp_path):
    def fails(source, match, **options):
        with pytest.raises(IntakeError, match=match):
            collect(source, notebook=NB, assignment=ASSIGNMENT, scratch=tmp_path / "scratch", **options)

    fails(tmp_path / "missing", "no such file or folder")
    build(tmp_path, {"notes.txt": "hello", "broken.zip": "PK not really", "empty": DIR,
                     "junk/__MACOSX/x": None, "junk/.DS_Store": None, "words/README.txt": None})
    fails(tmp_path / "notes.txt", "neither a folder nor a zip")
    fails(tmp_path / "broken.zip", "cannot unpack .*broken.zip")
    good = zip_bytes({f"s{i}.ipynb": None for i in range(20)})
    (tmp_path / "truncated.zip").write_bytes(good[:len(good) // 2])
    fails(tmp_path / "truncated.zip", "cannot unpack")
    fails(tmp_path / "empty", "no submissions in")
    fails(tmp_path / "junk", r"no submissions in .*\(2 entries ignored\)")
    fails(tmp_path / "words", "no submissions in")
    fails(tmp_path, "must not be inside")


def test_corrupt_entry_in_the_class_zip(tmp_path):
    data = bytearray(zip_bytes({"alice.ipynb": "a" * 1000, "bob.ipynb": None}))
    at = data.find(b"alice.ipynb") + len("alice.ipynb") + 5  # inside alice's compressed data
    data[at:at + 20] = bytes(20)
    (tmp_path / "class.zip").write_bytes(bytes(data))
    with pytest.raises(IntakeError, match="cannot unpack .*alice.ipynb"):
        collect(tmp_path / "class.zip", notebook=NB, assignment=ASSIGNMENT, scratch=tmp_path / "scratch")


def test_zip_bombs_are_stopped(tmp_path, monkeypatch):
    with zipfile.ZipFile(tmp_path / "many.zip", "w") as archive:
        for i in range(intake.MAX_ENTRIES + 1):
            archive.writestr(f"d/{i}.txt", "")
    with pytest.raises(IntakeError, match="more than 20000 entries"):
        collect(tmp_path / "many.zip", notebook=NB, assignment=ASSIGNMENT, scratch=tmp_path / "s1")
    monkeypatch.setattr(intake, "MAX_TOTAL", 5 << 20)
    (tmp_path / "big.zip").write_bytes(zip_bytes({f"s{i}.ipynb": "0" * (1 << 20) for i in range(6)}))
    with pytest.raises(IntakeError, match="unpacks to more than 5 MB"):
        collect(tmp_path / "big.zip", notebook=NB, assignment=ASSIGNMENT, scratch=tmp_path / "s2")
    assert sum(p.stat().st_size for p in (tmp_path / "s2").rglob("*") if p.is_file()) <= 5 << 20
    # A bomb inside the class's submissions costs only its sender's grade.
    bomb = zip_bytes({f"{i}/exercise.ipynb": "0" * (1 << 20) for i in range(8)})
    build(tmp_path / "class", {"alice.ipynb": None, "mallory.zip": bomb})
    subs, ignored = run(tmp_path / "class", tmp_path)
    assert subs["alice"].notebook
    assert subs["mallory"].problem == "mallory.zip cannot be unpacked: unpacks to more than 5 MB"


def test_a_zip_gives_what_its_folder_gives(tmp_path):
    layout = {"wrap/section-a/Zoë Müller.ipynb": None, "wrap/section-a/bob.IPYNB": None, "wrap/section-a/x.txt": None,
              "wrap/section-b/carol/01-rnn-cell/exercise.ipynb": None, "wrap/section-b/dan/a.ipynb": None,
              "wrap/section-b/dan/b.ipynb": None, "wrap/section-b/erin": DIR, "wrap/section-b/张伟.zip":
              zip_bytes({"exercise.ipynb": "wrap/section-b/张伟.zip/exercise.ipynb"}),
              "wrap/section-b/eve.ipynb": link("/etc/passwd"), "wrap/.DS_Store": None, "__MACOSX/x": None,
              "grades.csv": None}
    folder = tmp_path / "f"
    build(folder, layout)
    by_folder = run(folder, tmp_path / "a")
    by_zip = run(zip_folder(folder, tmp_path / "class.zip"), tmp_path / "b")
    assert same(*by_folder) == same(*by_zip)
    assert sorted(by_folder[0]) == ["Zoë Müller", "bob", "carol", "dan", "erin", "eve", "张伟"]
    assert by_folder[0]["dan"].problem == "several notebooks and none named exercise.ipynb: a.ipynb, b.ipynb"


def test_the_instructors_folder_is_left_as_it_was(tmp_path):
    layout = {"alice.ipynb": None, "bob.zip": zip_bytes({"exercise.ipynb": "bob.zip/exercise.ipynb"}),
              "carol/exercise.ipynb": None, ".DS_Store": None, "x": link("/etc")}
    build(tmp_path / "class", layout)

    def snapshot():
        return sorted((str(p), p.lstat().st_mtime_ns, p.lstat().st_size) for p in (tmp_path / "class").rglob("*"))

    before = snapshot()
    subs, _ = run(tmp_path / "class", tmp_path)
    assert snapshot() == before and sorted(subs) == ["alice", "bob", "carol"]
    assert subs["alice"].notebook == tmp_path / "class" / "alice.ipynb"


@FORMS
def test_which_notebook_of_a_students_folder(tmp_path, form):
    layout = {"ann/Exercise.ipynb": None, "ann/notes.ipynb": None,
              f"ben/{ASSIGNMENT}/exercise.ipynb": None, "ben/backup/exercise.ipynb": None,
              f"cy/{ASSIGNMENT}/v1/exercise.ipynb": None, f"cy/{ASSIGNMENT}/v2/exercise.ipynb": None,
              "cy/exercise-Copy1.ipynb": None, "alice.ipynb": None}
    subs, _ = run(make(tmp_path, layout, form), tmp_path)
    assert subs["ann"].entry == "ann/Exercise.ipynb" and subs["ben"].entry == f"ben/{ASSIGNMENT}/exercise.ipynb"
    assert subs["cy"].problem == (f"several notebooks named exercise.ipynb in cy/: {ASSIGNMENT}/v1/exercise.ipynb, "
                                  f"{ASSIGNMENT}/v2/exercise.ipynb")


@FORMS
def test_folders_nested_too_deeply_are_cut(tmp_path, form, monkeypatch):
    monkeypatch.setattr(intake, "MAX_DEPTH", 3)
    layout = {"alice/a/exercise.ipynb": None, "bob/a/b/exercise.ipynb": None, "bob/.x/y/z/w": None}
    subs, ignored = run(make(tmp_path, layout, form), tmp_path)
    assert subs["alice"].notebook and subs["bob"].notebook is None
    assert ignored == {"bob/.x": "hidden file or folder", "bob/a/b/exercise.ipynb": "nested too deeply"}


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_odd_zip_entries(tmp_path):
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as archive:
        archive.writestr("alice.ipynb", "alice.ipynb")
        archive.writestr("alice.ipynb", "a second alice.ipynb")  # zipfile warns, but writes it
        archive.writestr("bob", "a file")
        archive.writestr("bob/exercise.ipynb", "a file under a file")
        archive.writestr("JosXX.ipynb", "José.ipynb")  # renamed below
        archive.writestr("carol\\exercise.ipynb", "carol/exercise.ipynb")  # Windows separators
    data = (tmp_path / "class.zip").read_bytes()  # a UTF-8 name without the UTF-8 flag, as many zippers write
    (tmp_path / "class.zip").write_bytes(data.replace(b"JosXX.ipynb", "José.ipynb".encode()))
    subs, ignored = run(tmp_path / "class.zip", tmp_path)
    assert sorted(subs) == ["José", "alice", "carol"] and subs["alice"].notebook.read_text() == "alice.ipynb"
    assert ignored == {"alice.ipynb": "duplicate entry in the zip", "bob": "not a notebook",
                       "bob/exercise.ipynb": "clashes with the file bob in the zip"}


# ------------------------------------------------------------------ LMS downloads, laid out as each LMS zips them

def lms_zip(tmp_path, entries):
    """A zip with the entries at its root, as the LMS's "download all submissions" writes it."""
    target = tmp_path / "download.zip"
    target.write_bytes(zip_bytes(entries))
    return target


def test_a_canvas_download(tmp_path):
    """Canvas (lib/content_zipper.rb): NAME[_LATE]_USERID_ATTACHMENTID_FILENAME, flat; a re-upload renamed -1."""
    source = lms_zip(tmp_path, {
        "smithalice_LATE_101_5101_exercise.ipynb": None, "smithalice_LATE_101_5190_exercise-1.ipynb": None,
        "jonesbob_102_5102_exercise.ipynb": None, "jonesbob_102_5103_notes.txt": None,
        "mullerzoe_103_5104_my answers.ipynb": None, "anon_x7Kq2_5105_exercise.ipynb": None})
    subs, ignored = run(source, tmp_path)
    assert {n: (s.student_id, s.lms, s.lms_id, s.entry) for n, s in subs.items()} == {
        "smithalice": ("smithalice_101", "canvas", "101", "smithalice_LATE_101_5190_exercise-1.ipynb"),
        "jonesbob": ("jonesbob_102", "canvas", "102", "jonesbob_102_5102_exercise.ipynb"),
        "mullerzoe": ("mullerzoe_103", "canvas", "103", "mullerzoe_103_5104_my answers.ipynb"),
        "anon_x7Kq2": ("anon_x7Kq2", "canvas", "anon_x7Kq2", "anon_x7Kq2_5105_exercise.ipynb")}
    assert ignored == {"jonesbob_102_5103_notes.txt": "not a notebook",
                       "smithalice_LATE_101_5101_exercise.ipynb": "superseded: an earlier attempt (canvas id 101); "
                                                                  "graded: smithalice_LATE_101_5190_exercise-1.ipynb"}


def test_a_moodle_download_in_folders_and_flat(tmp_path):
    """Moodle (mod/assign/locallib.php): Full Name_PARTICIPANTID_assignsubmission_file_[/]FILENAME; the online
    text plugin's folder beside a student's file folder is the same student."""
    source = lms_zip(tmp_path, {
        "Alice Smith_12345_assignsubmission_file_/exercise.ipynb": None,
        "Alice Smith_12345_assignsubmission_onlinetext_/onlinetext.html": None,
        "Zoë Müller_12346_assignsubmission_file_/exercise.ipynb": None,
        "Bob Jones_12347_assignsubmission_file_exercise.ipynb": None})
    subs, ignored = run(source, tmp_path)
    assert {n: (s.student_id, s.lms, s.lms_id, s.entry) for n, s in subs.items()} == {
        "Alice Smith": ("Alice_Smith_12345", "moodle", "12345", "Alice Smith_12345_assignsubmission_file_/exercise.ipynb"),
        "Zoë Müller": ("Zoe_Muller_12346", "moodle", "12346", "Zoë Müller_12346_assignsubmission_file_/exercise.ipynb"),
        "Bob Jones": ("Bob_Jones_12347", "moodle", "12347", "Bob Jones_12347_assignsubmission_file_exercise.ipynb")}
    assert ignored == {"Alice Smith_12345_assignsubmission_onlinetext_": (
        "superseded: another entry of this student (moodle id 12345); "
        "graded: Alice Smith_12345_assignsubmission_file_/exercise.ipynb")}


def test_a_blackboard_download_keeps_the_latest_attempt(tmp_path):
    """Blackboard: ASSIGNMENT_USERNAME_attempt_TIMESTAMP_FILENAME plus a .txt receipt per attempt."""
    first, second = "Exercise01_asmith_attempt_2026-11-01-10-00-00", "Exercise01_asmith_attempt_2026-11-02-09-30-00"
    source = lms_zip(tmp_path, {
        f"{first}_exercise.ipynb": None, f"{first}.txt": None, f"{second}_exercise.ipynb": None, f"{second}.txt": None,
        "Exercise01_b_jones_attempt_2026-11-01-08-00-00_exercise.ipynb": None})
    subs, ignored = run(source, tmp_path)
    assert {n: (s.student_id, s.lms, s.lms_id, s.entry) for n, s in subs.items()} == {
        "asmith": ("asmith", "blackboard", "asmith", f"{second}_exercise.ipynb"),
        "jones": ("jones", "blackboard", "jones", "Exercise01_b_jones_attempt_2026-11-01-08-00-00_exercise.ipynb")}
    assert ignored == {f"{first}.txt": "not a notebook (blackboard's receipt of an attempt)",
                       f"{second}.txt": "not a notebook (blackboard's receipt of an attempt)",
                       f"{first}_exercise.ipynb": "superseded: an earlier attempt (blackboard id asmith); "
                                                  f"graded: {second}_exercise.ipynb"}


def test_names_an_lms_did_not_write_are_read_as_before(tmp_path):
    subs, _ = run(lms_zip(tmp_path, {"alice_2.ipynb": None, "hw_1_22_final.ipynb": None, "Bob Jones.ipynb": None}),
                  tmp_path)
    assert {n: s.lms for n, s in subs.items()} == {"alice_2": "", "hw_1_22_final": "", "Bob Jones": ""}
