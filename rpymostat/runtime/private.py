"""Files that hold secrets, and the directories they live in, kept to their owner.

The hub's database holds the hub's secret and the token hashes; a node's data dir holds
its device token (``hub.json``), its queued readings and its relay journal. Each is
created private (directories 0700, files 0600, the mode given to ``mkdir``/``open`` so
that no umask widens it, rather than fixed afterwards) and checked at every start: one
that other users may open is tightened, with a warning naming it; one this user does not
own raises :class:`NotPrivate`, whose message says what to run, and the process stops.

SQLite gives a database's ``-wal``, ``-shm`` and ``-journal`` files the mode of the
database file, so a database file created 0600 keeps them private as well.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from twisted.logger import Logger

log = Logger(namespace="rpymostat.runtime.private")
DIR_MODE = 0o700
FILE_MODE = 0o600
OTHERS = 0o077  # group and other permission bits
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


class NotPrivate(Exception):
    """A file or directory that other users may open and this process may not tighten."""


def keep_private(path: str | Path) -> None:
    """Take group and other permissions off ``path`` (with a warning) if it has any."""
    path = Path(path)
    info = path.stat()
    mode = stat.S_IMODE(info.st_mode)
    if not mode & OTHERS:
        return
    wanted = mode & ~OTHERS
    if stat.S_ISDIR(info.st_mode) and mode & stat.S_ISVTX:
        raise NotPrivate(f"{path} is a shared directory (mode {mode:o}): give RPyMostat a directory "
                         f"of its own, e.g. {path / 'rpymostat'}")
    if info.st_uid != os.geteuid():
        raise NotPrivate(f"{path} holds secrets and other users may open it (mode {mode:03o}), but it "
                         f"belongs to uid {info.st_uid}, not to this user (uid {os.geteuid()}): "
                         f"run `chmod {wanted:o} {path}` as its owner")
    try:
        os.chmod(path, wanted)
    except OSError as exc:  # a read-only file system, an immutable file
        raise NotPrivate(f"{path} holds secrets and other users may open it (mode {mode:03o}); "
                         f"tightening it failed ({exc.strerror}): run `chmod {wanted:o} {path}`") from exc
    log.warn("{path} holds secrets and other users could open it (mode {mode:03o}): it is now {wanted:03o}",
             path=str(path), mode=mode, wanted=wanted)


def keep_private_if_present(*paths: str | Path) -> None:
    for path in paths:
        try:
            keep_private(path)
        except FileNotFoundError:
            pass


def private_dir(path: str | Path) -> Path:
    """The directory ``path``, created 0700 (its missing parents as usual) or checked."""
    path = Path(path)
    try:
        path.mkdir(mode=DIR_MODE, parents=True)
    except FileExistsError:
        keep_private(path)
    return path


def private_file(path: str | Path) -> Path:
    """The file ``path``, created empty and 0600 if missing, else checked."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        keep_private(path)
    return path


def private_sqlite(path: str | Path) -> Path:
    """A SQLite database file made or checked before SQLite opens it (an empty file is an
    empty database), with the side files an earlier run may have left."""
    path = private_file(path)
    keep_private_if_present(*(path.with_name(path.name + side) for side in SQLITE_SIDE_FILES))
    return path


def write_private(path: str | Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step, through a scratch file made 0600."""
    path = Path(path)
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    scratch.unlink(missing_ok=True)  # a leftover keeps its own mode through O_TRUNC
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(scratch, path)
