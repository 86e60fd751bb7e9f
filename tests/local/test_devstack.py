"""The dev stack's stop: every service stops, even when the stop of one is interrupted."""

import pytest

from local.devstack import DevStack


class Service:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error, self.stopped = error, False

    def stop(self) -> None:
        self.stopped = True
        if self.error is not None:
            raise self.error


def test_a_second_interrupt_during_the_stop_still_stops_the_database(tmp_path):
    stack = DevStack(tmp_path, problems=[])
    stack.localstack, stack.mariadb = Service(KeyboardInterrupt()), Service()
    with pytest.raises(KeyboardInterrupt):
        stack.stop()
    assert stack.localstack.stopped and stack.mariadb.stopped


def test_a_failing_stop_of_localstack_does_not_skip_the_database(tmp_path):
    stack = DevStack(tmp_path, problems=[])
    stack.localstack, stack.mariadb = Service(RuntimeError("hung")), Service()
    stack.stop()
    assert stack.mariadb.stopped
