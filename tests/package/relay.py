#!/usr/bin/env python3
"""A TCP relay on 127.0.0.1 that keeps its port while the tenant behind it stops and starts.

  relay.py PORT_FILE TARGET_FILE

Listens on 127.0.0.1:0 and writes the port to PORT_FILE. Each connection is forwarded to
127.0.0.1:PORT, PORT read from TARGET_FILE when the connection comes; while TARGET_FILE is empty
or missing (the tenant is down) connections are closed at once. The agent's configuration names
the relay's port, so a restarted tenant needs no port freed and bound again (docs/testing.md).
Runs until killed.
"""
import os
import socket
import sys
import threading


def pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def target_port(target_file: str) -> int | None:
    try:
        with open(target_file) as f:
            text = f.read().strip()
    except FileNotFoundError:
        return None
    return int(text) if text else None


def serve(client: socket.socket, target_file: str) -> None:
    port = target_port(target_file)
    if port is None:
        client.close()
        return
    try:
        upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
        upstream.settimeout(None)
    except OSError:
        client.close()
        return
    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()


def main() -> None:
    port_file, target_file = sys.argv[1:3]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(port_file + ".tmp", "w") as f:
        f.write(f"{listener.getsockname()[1]}\n")
    os.replace(port_file + ".tmp", port_file)
    while True:
        client, _ = listener.accept()
        serve(client, target_file)


if __name__ == "__main__":
    main()
