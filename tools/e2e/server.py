"""moto_server with the workarounds of moto_gaps.py, on loopback only: `python server.py PORT`.

Besides AWS's API it answers two calls of its own:

- `GET /e2e/database-passwords`: each DB instance's master password, which AWS never shows, so that
  issue 18's check can compare it with the parameters (password_checks.py);
- `POST /e2e/ecs-task-stopped` {"cluster", "task", "exitCode", "reason"}: what the ECS agent reports
  when a task's essential container exits (runtime/ecs_agent.py plays the agent for the ECS
  executor's worker tasks; moto runs no container and has no agent API).
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import moto_gaps
from moto import server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

PASSWORDS_PATH = "/e2e/database-passwords"
TASK_STOPPED_PATH = "/e2e/ecs-task-stopped"


def database_passwords() -> dict[str, str]:
    from moto.rds.models import rds_backends

    return {
        identifier: database._master_user_password or ""  # the property refuses to give it
        for regions in rds_backends.values()
        for backend in regions.values()
        for identifier, database in backend.databases.items()
    }


def task_stopped(report: dict[str, Any]) -> dict[str, Any]:
    """The task's essential container exited with `exitCode`: the task stops as ECS stops it
    (moto's StopTask with the gaps' workarounds: stoppedAt, its network interface deleted), and
    its containers carry the exit code."""
    from moto.ecs.models import ecs_backends

    for regions in ecs_backends.values():
        for backend in regions.values():
            if report["task"] in backend.tasks.get(report["cluster"], {}):
                task = backend.stop_task(report["cluster"], report["task"], report["reason"])
                for container in task.containers:
                    container.last_status = "STOPPED"
                    container.exitCode = int(report["exitCode"])
                return {"task": task.task_arn, "lastStatus": "STOPPED"}
    raise KeyError(f"no task {report['task']} in cluster {report['cluster']}")


def serve_e2e_calls(app_call: Any) -> Any:
    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:  # noqa: N807
        path = environ.get("PATH_INFO")
        if path == PASSWORDS_PATH:
            body = json.dumps(database_passwords()).encode()
        elif path == TASK_STOPPED_PATH and environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.dumps(task_stopped(json.loads(environ["wsgi.input"].read(length)))).encode()
        else:
            return app_call(self, environ, start_response)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return __call__


if __name__ == "__main__":
    # AWS has its managed policies in every account (production's RDS monitoring role attaches
    # AmazonRDSEnhancedMonitoringRole); moto loads them only when asked, before any backend exists.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    moto_gaps.apply()
    DomainDispatcherApplication.__call__ = serve_e2e_calls(DomainDispatcherApplication.__call__)
    server.main(["--host", "127.0.0.1", "--port", sys.argv[1]])
