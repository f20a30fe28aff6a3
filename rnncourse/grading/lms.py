"""The names learning management systems give their submission downloads: who, which LMS id, which attempt.

:func:`recognise` reads one entry's name (a file with its suffix, or a folder) as each LMS writes it:

- **Canvas** (Download Submissions; ``get_filename`` and ``add_upload_submission`` in
  instructure/canvas-lms ``lib/content_zipper.rb``): one file per uploaded file,
  ``NAME[_LATE]_USERID_ATTACHMENTID_FILENAME``, where NAME is the student's sortable name lower-cased
  with everything but word characters taken out (``Smith, Alice`` -> ``smithalice``), USERID the
  Canvas user id (``anon_XXXXX`` when the assignment is anonymous, then without NAME), ATTACHMENTID
  the uploaded file's id (later uploads have larger ids) and FILENAME the file's own name; a
  re-uploaded file may be renamed ``exercise-1.ipynb``, ``exercise-2.ipynb``.
- **Moodle** (Download all submissions; ``download_submissions`` in moodle ``mod/assign/locallib.php``):
  ``Full Name_PARTICIPANTID_assignsubmission_file_`` folders ("Download submissions in folders"),
  or files ``Full Name_PARTICIPANTID_assignsubmission_file_FILENAME``; other submission plugins
  (``assignsubmission_onlinetext_``) beside them are the same student.
- **Blackboard** (Grade Center, Assignment File Download):
  ``ASSIGNMENT_USERNAME_attempt_YYYY-MM-DD-HH-MM-SS_FILENAME`` and a receipt
  ``ASSIGNMENT_USERNAME_attempt_YYYY-MM-DD-HH-MM-SS.txt`` per attempt; every attempt may be in the
  download.

Each gives the student's name as the LMS wrote it, the LMS's own id for the student (Canvas's user
id, Moodle's participant id, Blackboard's username) and an order: of two entries of one student,
the one with the larger order is the latest attempt, the one graded
(:func:`rnncourse.grading.intake.latest_attempts`).
"""

import re
from dataclasses import dataclass

CANVAS = re.compile(r"(?:(?P<name>[^\W_A-Z]+)_)?(?:LATE_)?(?P<id>\d+|anon_[A-Za-z0-9]+)_(?P<attachment>\d{3,})_(?P<file>.+)")
MOODLE = re.compile(r"(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.*)")
BLACKBOARD = re.compile(r"(?P<assignment>.+)_(?P<id>[^_]+)_attempt_(?P<time>\d{4}(?:-\d\d){5})(?:_(?P<file>.+)|\.txt)?")
RENUMBERED = re.compile(r"-(\d+)(?=\.[^.]+$)")  # exercise-2.ipynb: Canvas's second file of that name


@dataclass(frozen=True)
class Entry:
    lms: str  # canvas, moodle or blackboard
    lms_id: str  # the LMS's own id of the student
    name: str  # the student's name as the LMS wrote it
    order: tuple  # larger: a later attempt


def recognise(name):
    """The :class:`Entry` an LMS download's file or folder name says, or None for any other name."""
    if match := BLACKBOARD.fullmatch(name):
        return Entry("blackboard", match["id"], match["id"], (match["time"],))
    if match := MOODLE.fullmatch(name):
        return Entry("moodle", match["id"], match["name"], ())  # one attempt: its plugins' entries
    if match := CANVAS.fullmatch(name):
        again = RENUMBERED.search(match["file"])
        return Entry("canvas", match["id"], match["name"] or match["id"],
                     (int(match["attachment"]), int(again[1]) if again else 0))
    return None

