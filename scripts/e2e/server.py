"""moto_server with the workarounds of moto_gaps.py, on loopback only: `python server.py PORT`."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import moto_gaps
from moto import server

if __name__ == "__main__":
    # AWS has its managed policies in every account (production's RDS monitoring role attaches
    # AmazonRDSEnhancedMonitoringRole); moto loads them only when asked, before any backend exists.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    moto_gaps.apply()
    server.main(["--host", "127.0.0.1", "--port", sys.argv[1]])
