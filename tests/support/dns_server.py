#!/usr/bin/python3
"""A DNS server for the resolver's tests, on a free UDP port of 127.0.0.1 (printed as
"listening on PORT"). Every name under .test answers an A record of 127.0.0.1 (a name
elsewhere does not exist), except:
  nx.test        NXDOMAIN
  silent.test    never answered
  held.test      answered only once a datagram "release held.test" arrives
  ttl0.test      TTL 0 (not to be cached)
  servfail.test  SERVFAIL
  two.test       127.0.0.1 and 127.0.0.2
  deadfirst.test 127.0.0.3, then 127.0.0.1 (a test makes 127.0.0.3 drop or refuse connections)
  three.test     127.0.0.1, 127.0.0.2 and 127.0.0.4
  mixed.test     127.0.0.1 and 127.0.0.2, and an AAAA record of ::1
Other AAAA questions get an empty answer (NOERROR). A datagram "count NAME" is answered with the
number of A questions seen for NAME, so a test can tell what its client asked.
"""
import socket
import struct
import sys
from collections import Counter

TTL = 300
SEVERAL = {"two.test": ["127.0.0.1", "127.0.0.2"],
           "deadfirst.test": ["127.0.0.3", "127.0.0.1"],
           "three.test": ["127.0.0.1", "127.0.0.2", "127.0.0.4"],
           "mixed.test": ["127.0.0.1", "127.0.0.2"]}
AAAA = {"mixed.test": ["::1"]}


def parse_question(packet):
    labels, i = [], 12
    while packet[i] != 0:
        n = packet[i]
        labels.append(packet[i + 1:i + 1 + n].decode("ascii", "replace").lower())
        i += 1 + n
    qtype, _qclass = struct.unpack("!HH", packet[i + 1:i + 5])
    return ".".join(labels), qtype, packet[12:i + 5]


def answer(packet, question, rcode, records):
    ident = packet[:2]
    flags = 0x8180 | rcode
    header = ident + struct.pack("!HHHHH", flags, 1, len(records), 0, 0)
    body = question
    for ttl, address in records:
        if ":" in address:
            body += (struct.pack("!HHHIH", 0xC00C, 28, 1, ttl, 16) +
                     socket.inet_pton(socket.AF_INET6, address))
        else:
            body += struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + socket.inet_aton(address)
    return header + body


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    print(f"listening on {sock.getsockname()[1]}", flush=True)
    asked = Counter()
    held = []
    while True:
        packet, peer = sock.recvfrom(4096)
        if packet.startswith(b"count "):
            sock.sendto(str(asked[packet[6:].decode()]).encode(), peer)
            continue
        if packet.startswith(b"release "):
            for p, q, who in held:
                sock.sendto(answer(p, q, 0, [(TTL, "127.0.0.1")]), who)
            held.clear()
            continue
        if len(packet) < 17:
            continue
        name, qtype, question = parse_question(packet)
        if qtype == 1:
            asked[name] += 1
        if name == "silent.test":
            continue
        if name == "servfail.test":
            sock.sendto(answer(packet, question, 2, []), peer)
        elif name == "nx.test" or not name.endswith(".test"):
            sock.sendto(answer(packet, question, 3, []), peer)
        elif qtype == 28 and name in AAAA:
            sock.sendto(answer(packet, question, 0, [(TTL, a) for a in AAAA[name]]), peer)
        elif qtype != 1:
            sock.sendto(answer(packet, question, 0, []), peer)
        elif name == "held.test":
            held.append((packet, question, peer))
        elif name in SEVERAL:
            sock.sendto(answer(packet, question, 0, [(TTL, a) for a in SEVERAL[name]]), peer)
        else:
            sock.sendto(answer(packet, question, 0, [(0 if name == "ttl0.test" else TTL,
                                                      "127.0.0.1")]), peer)


if __name__ == "__main__":
    sys.exit(main())
