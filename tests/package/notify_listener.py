#!/usr/bin/env python3
"""Plays systemd's side of sd_notify for tests/package/install_test.sh.

  notify_listener.py SOCKET LOG CONTROL_SOCKET

Binds the datagram socket SOCKET (the agent's NOTIFY_SOCKET, writable by anyone so that the
agent's user can send) and appends one line per message to LOG: seconds since the listener
started, then the message's assignments separated by spaces (READY=1 STATUS=...). When a message
holds READY=1 it at once tries to connect to CONTROL_SOCKET and adds a line "CHECK ready
control_socket=answers" or "CHECK ready control_socket=refused (...)": READY=1 may only come once
the control socket listens. Runs until killed.
"""
import os
import socket
import sys
import time


def main() -> None:
    path, log_path, control_socket = sys.argv[1:4]
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    os.chmod(path, 0o666)
    start = time.monotonic()
    with open(log_path, "a", buffering=1) as log:
        log.write("listening\n")
        while True:
            data = listener.recv(65536)
            fields = data.decode("utf-8", "replace").split("\n")
            log.write(f"{time.monotonic() - start:.3f} {' '.join(f for f in fields if f)}\n")
            if "READY=1" in fields:
                probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    probe.connect(control_socket)
                    log.write("CHECK ready control_socket=answers\n")
                except OSError as error:
                    log.write(f"CHECK ready control_socket=refused ({error})\n")
                finally:
                    probe.close()


if __name__ == "__main__":
    main()
