"""moto_server with the workarounds of moto_gaps.py, on loopback only: `python server.py PORT`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import moto_gaps
from moto import server

if __name__ == "__main__":
    moto_gaps.apply()
    server.main(["--host", "127.0.0.1", "--port", sys.argv[1]])
