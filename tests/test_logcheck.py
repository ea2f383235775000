"""The check that fails a test on an error it logs without expecting it, run on tests
written for the purpose in a pytest of their own."""

import pytest

LOGGING_TESTS = '''
import gc

import pytest
from twisted.internet import defer
from twisted.logger import Logger

log = Logger(namespace="demo")


def test_quiet():
    log.warn("a warning is no error")


def test_error():
    log.error("the disk is full")


def test_failure():
    try:
        1 / 0
    except ZeroDivisionError:
        log.failure("while dividing")


def test_lost_deferred():
    defer.fail(KeyError("nobody waited for this"))


@pytest.mark.logs_errors("the disk is full")
def test_error_expected():
    log.error("the disk is full")


@pytest.mark.logs_errors("the disk is full")
def test_expected_error_missing():
    log.info("all is well")


@pytest.mark.logs_errors("the disk is full")
def test_other_error_besides():
    log.error("the disk is full")
    log.critical("the roof is on fire")
'''


@pytest.fixture
def outcomes(pytester):
    pytester.makeconftest('pytest_plugins = ["tests.logcheck"]')
    pytester.makepyfile(test_logging=LOGGING_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rE")
    failed = {line.split("::")[1].split(" ")[0] for line in result.outlines if line.startswith("ERROR test_logging")}
    return result, failed


def test_only_quiet_tests_and_expected_errors_pass(outcomes):
    result, failed = outcomes
    assert failed == {"test_error", "test_failure", "test_lost_deferred", "test_expected_error_missing",
                      "test_other_error_besides"}, result.stdout.str()
    result.assert_outcomes(passed=7, errors=5)  # the check fails a test at its teardown


def test_a_failure_shows_the_event(outcomes):
    result, _ = outcomes
    text = result.stdout.str()
    assert "unexpected error logged:\n[demo] the disk is full" in text
    assert "[demo] while dividing" in text and "ZeroDivisionError" in text
    assert "nobody waited for this" in text
    assert "expected an error logged containing 'the disk is full', none was" in text
    assert "the roof is on fire" in text
