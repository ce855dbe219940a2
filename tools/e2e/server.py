"""moto_server with the workarounds of moto_gaps.py, on loopback only: `python server.py PORT`.

Besides AWS's API it answers `GET /e2e/database-passwords`: each DB instance's master password, which
AWS never shows, so that issue 18's check can compare it with the parameters (password_checks.py).
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


def database_passwords() -> dict[str, str]:
    from moto.rds.models import rds_backends

    return {
        identifier: database._master_user_password or ""  # the property refuses to give it
        for regions in rds_backends.values()
        for backend in regions.values()
        for identifier, database in backend.databases.items()
    }


def serve_passwords(app_call: Any) -> Any:
    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:  # noqa: N807
        if environ.get("PATH_INFO") != PASSWORDS_PATH:
            return app_call(self, environ, start_response)
        body = json.dumps(database_passwords()).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return __call__


if __name__ == "__main__":
    # AWS has its managed policies in every account (production's RDS monitoring role attaches
    # AmazonRDSEnhancedMonitoringRole); moto loads them only when asked, before any backend exists.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    moto_gaps.apply()
    DomainDispatcherApplication.__call__ = serve_passwords(DomainDispatcherApplication.__call__)
    server.main(["--host", "127.0.0.1", "--port", sys.argv[1]])
