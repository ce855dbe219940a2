"""A stand-in for PostgreSQL's postmaster on 127.0.0.1, for the start-up tests.

    fake_postgres.py MODE PORT_FILE [LIFETIME_S]

MODE `postgres` answers an SSLRequest with 'N' (SSL not supported), as a real server without SSL
does; MODE `mute` reads the request and closes without a word, like a port that is not PostgreSQL.
Writes the port it listens on to PORT_FILE and exits by itself after LIFETIME_S (default 60).
"""

import os
import socket
import sys
import time

mode, port_file = sys.argv[1], sys.argv[2]
lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
deadline = time.monotonic() + lifetime

with socket.create_server(("127.0.0.1", 0)) as server:
    server.settimeout(0.5)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.getsockname()[1]))
    os.replace(port_file + ".tmp", port_file)
    while time.monotonic() < deadline:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        with conn:
            conn.settimeout(2)
            try:
                request = conn.recv(8)
                if mode == "postgres" and len(request) == 8:
                    conn.sendall(b"N")
            except OSError:
                pass
