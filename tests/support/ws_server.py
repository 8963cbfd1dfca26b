#!/usr/bin/python3
"""A WebSocket server for swarmlet's tests (Python's websockets, from Debian), on a free port of
127.0.0.1 (printed as "listening on PORT"); with a certificate and key as arguments, wss://.
  /echo        answers every message with the same message
  /chat        as /echo, but first pushes a {"type": "welcome"} message, and answers each
               message with a {"type": "noise"} message before its echo
  /close       closes each connection (code 1000) after its first message
  /forbidden   refuses the upgrade (403)
  /refused-once  refuses the first upgrade it is asked for (503, a server in a deploy say),
               then is /echo
  /silent      takes messages and never answers
  /private     as /echo, but refuses the upgrade (401) without the cookie a plain HTTP
               GET /login sets (session=ok)
The messages received (all paths) are counted: a plain HTTP GET /count answers the count, so
a test compares what its client recorded with what the server got; GET /upgrades answers the
count of upgrades asked for (all paths, refused ones too).
"""
import asyncio
import http
import json
import ssl
import sys

import websockets

received = 0
upgrades = 0
refused_once = False


async def handler(ws, path=None):
    global received
    path = ws.path
    if path == "/chat":
        await ws.send(json.dumps({"type": "welcome"}))
    try:
        async for message in ws:
            received += 1
            if path == "/close":
                await ws.close(1000, "bye")
                return
            if path == "/silent":
                continue
            if path == "/chat":
                await ws.send(json.dumps({"type": "noise"}))
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def process_request(path, headers):
    global upgrades, refused_once
    if path == "/count":
        return http.HTTPStatus.OK, [("Content-Type", "text/plain")], f"{received}\n".encode()
    if path == "/upgrades":
        return http.HTTPStatus.OK, [("Content-Type", "text/plain")], f"{upgrades}\n".encode()
    if headers.get("Upgrade", "").lower() == "websocket":
        upgrades += 1
    if path == "/refused-once" and not refused_once:
        refused_once = True
        return http.HTTPStatus.SERVICE_UNAVAILABLE, [], b"deploying\n"
    if path == "/forbidden":
        return http.HTTPStatus.FORBIDDEN, [], b"no\n"
    if path == "/login":
        return http.HTTPStatus.OK, [("Set-Cookie", "session=ok; Path=/")], b"welcome\n"
    if path == "/private" and "session=ok" not in headers.get("Cookie", ""):
        return http.HTTPStatus.UNAUTHORIZED, [], b"log in first\n"
    return None


async def main():
    context = None
    if len(sys.argv) == 3:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
    async with websockets.serve(handler, "127.0.0.1", 0, ssl=context,
                                process_request=process_request) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on {port}", flush=True)
        await asyncio.Future()


asyncio.run(main())
