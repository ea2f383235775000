"""A test fails when the code under test logs an error it did not expect.

An error logged and carried on past is invisible to an assertion on the result, so every
test listens to ``twisted.logger`` (legacy ``twisted.python.log`` included) and fails at
teardown on any event at level error or critical, ``log.failure`` and unhandled failures
of Deferreds collected as garbage among them. A test that provokes an error on purpose
says so with ``@pytest.mark.logs_errors("text")``: each text must appear in one of the
errors it logs, and errors matching none of them still fail it.

After each test the young generations are collected (a full collection takes a fifth of a
second with the suite's heap); what only a full one finds is collected at the end of the
session, where an error logged fails the run. A Deferred that Python collects on its own
during a later test fails that test: the event shows where the failure came from.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import attrs
import pytest
from twisted.logger import LogLevel, globalLogPublisher

from rpymostat.runtime.process import event_text

MARKER = "logs_errors"
ERROR_LEVELS = (LogLevel.error, LogLevel.critical)


def describe(event: dict) -> str:
    """The event as a reader of the failure needs it: its namespace, its text, its traceback."""
    return f"[{event.get('log_namespace', '?')}] {event_text(event)}"


@attrs.define
class ErrorLog:
    """The errors logged while one test runs."""

    seen: list[str] = attrs.field(factory=list)

    def __call__(self, event: dict) -> None:
        if event.get("log_level") in ERROR_LEVELS:
            self.seen.append(describe(event))

    def problems(self, expected: tuple[str, ...]) -> list[str]:
        unexpected = [text for text in self.seen if not any(want in text for want in expected)]
        missing = [want for want in expected if not any(want in text for text in self.seen)]
        return ([f"unexpected error logged:\n{text}" for text in unexpected]
                + [f"expected an error logged containing {want!r}, none was" for want in missing])


def expected_errors(item: pytest.Item) -> tuple[str, ...]:
    return tuple(text for mark in item.iter_markers(MARKER) for text in mark.args)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(*texts): the test logs errors on purpose; each text must appear in one of them")


@pytest.fixture(autouse=True)
def fail_on_logged_errors(request: pytest.FixtureRequest) -> Iterator[ErrorLog]:
    log = ErrorLog()
    globalLogPublisher.addObserver(log)
    try:
        yield log
        gc.collect(1)  # a Deferred with an unhandled failure logs it when collected
    finally:
        globalLogPublisher.removeObserver(log)
    problems = log.problems(expected_errors(request.node))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    log = ErrorLog()
    globalLogPublisher.addObserver(log)
    try:
        gc.collect()
    finally:
        globalLogPublisher.removeObserver(log)
    problems = log.problems(())
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "errors logged when the garbage left after the last test was collected", red=True)
            reporter.write_line("\n\n".join(problems))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
