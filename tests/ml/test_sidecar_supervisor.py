"""The sidecar supervisor's stop: a sidecar that finished starting is asked to stop and exits
by itself; one still starting is killed at once instead of being waited for."""

import asyncio

from ml.sidecar.supervisor import SidecarSupervisor


class Log:
    def info(self, *args, **kwargs):
        pass

    warning = info


async def started_supervisor(tmp_path, messages):
    supervisor = SidecarSupervisor(str(tmp_path), messages.append, lambda: None, Log())
    supervisor.start()
    while supervisor._process is None:
        await asyncio.sleep(0.01)
    return supervisor


async def test_a_started_sidecar_is_asked_to_stop_and_exits_cleanly(tmp_path):
    messages = []
    supervisor = await started_supervisor(tmp_path, messages)
    for _ in range(3000):  # (its imports take a second or more on a busy machine)
        if any(message["op"] == "hello" for message in messages):
            break
        await asyncio.sleep(0.01)
    process = supervisor._process
    await supervisor.stop()
    assert process.returncode == 0 and supervisor.status == "stopped"


async def test_a_sidecar_still_starting_is_killed_at_once(tmp_path):
    messages = []
    supervisor = await started_supervisor(tmp_path, messages)
    process = supervisor._process
    await supervisor.stop()
    assert messages == []  # (it had not said hello)
    assert process.returncode == -9 and supervisor.status == "stopped"
