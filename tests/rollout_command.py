"""`rollout` run inside the test's process (Click's CliRunner), answering as a finished process
does: a process of its own costs seconds of imports, and most commands' behaviour (arguments,
messages, exit status, what they write) has nothing to do with being a process. Tests about
processes (serving, signals, a worker killed) start the real command instead."""

from __future__ import annotations

import subprocess
import traceback
from collections.abc import Mapping

from click.testing import CliRunner

from web.cli import cli


def run_rollout(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`rollout ARGS` with the environment variables `env`; its exit status and output."""
    result = CliRunner().invoke(cli, list(args), env=dict(env), prog_name="rollout")
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # What the process would have printed on its way out: the escaped exception.
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["rollout", *args], result.exit_code, result.stdout, stderr)
