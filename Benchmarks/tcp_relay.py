#!/usr/bin/env python3
"""A TCP relay for qwen-sync's network tests: listens on 127.0.0.1:<port> and forwards each
connection to <host>:<port>. Run inside a network namespace, it lets the daemon keep its
loopback-only http:// base URL while its traffic crosses a veth link the test takes down.
Prints "RELAYING" once listening. A connection whose upstream cannot be reached is closed.

    tcp_relay.py <listen-port> <upstream-host> <upstream-port>
"""
import socket
import sys
import threading


def pipe(source, sink):
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


def serve(client, upstream):
    try:
        server = socket.create_connection(upstream, timeout=5)
        server.settimeout(None)
    except OSError:
        client.close()
        return
    threading.Thread(target=pipe, args=(client, server), daemon=True).start()
    pipe(server, client)


def main():
    listen_port, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", listen_port))
    listener.listen(64)
    print("RELAYING", flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client, (host, port)), daemon=True).start()


if __name__ == "__main__":
    main()
