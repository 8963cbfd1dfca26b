"""The peer for echo_vs_gevent.sh: gevent's StreamServer echoing lines, as the seeds' eventlet
echo server does. Run with Debian's python3 (python3-gevent): /usr/bin/python3 gevent_echo_server.py PORT"""
import socket
import sys

from gevent.server import StreamServer


def echo(sock, _address):
    # As swarmlet's accepted sockets: no Nagle delay on the small echoed writes.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = sock.makefile("rb")
    try:
        for line in reader:
            sock.sendall(line)
    finally:
        reader.close()
        sock.close()


server = StreamServer(("127.0.0.1", int(sys.argv[1])), echo, backlog=4096)
print("gevent echo server listening on 127.0.0.1:%d" % server.address[1], flush=True)
server.serve_forever()
