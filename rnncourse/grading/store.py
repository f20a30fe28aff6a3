"""Where the grades are kept: nbgrader's gradebook at any SQLAlchemy URL nbgrader accepts.

The default is the SQLite file of the course directory (``sqlite:///COURSE/gradebook.db``);
``--db postgresql://USER:PASSWORD@HOST:PORT/DB`` keeps it on a PostgreSQL server instead (the
``psycopg`` driver is in requirements.txt), so that formgrader and ``nbgrader export``
(``--CourseDirectory.db_url=URL``) read the same scores as the CSV. Messages never show a password.
"""

from pathlib import Path


def default_url(course):
    """The SQLite gradebook of today: ``gradebook.db`` in the course directory."""
    return f"sqlite:///{Path(course) / 'gradebook.db'}"


def shown(url):
    """The URL as a message may show it: the password masked, a SQLite URL as its file."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 (not a URL at all: say so, show nothing of it that may be secret)
        return "(an unreadable database URL)"
    if parsed.drivername.startswith("sqlite") and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)
