#!/usr/bin/env python3
"""citus_proxy.py -- a counting TCP relay for the Citus test cluster.

    citus_proxy.py COUNTS_FILE LISTEN_PORT:TARGET_PORT [...]

The workers are registered in Citus at the LISTEN ports, so every connection the
coordinator (or another worker) opens to a worker passes through here.  The bytes
sent by the workers (their answers: rows, partial aggregate states) are summed and
written to COUNTS_FILE as "<bytes>" a few times a second, so a test reads how much
data reached the coordinator while a statement ran.
"""
import asyncio
import sys

received = 0


async def pipe(reader, writer, count):
    global received
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if count:
                received += len(data)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


def handler(target):
    async def handle(creader, cwriter):
        try:
            wreader, wwriter = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pipe(creader, wwriter, False), pipe(wreader, cwriter, True))
    return handle


async def report(path):
    last = None
    while True:
        if received != last:
            with open(path + ".tmp", "w") as f:
                f.write(str(received))
            import os
            os.replace(path + ".tmp", path)
            last = received
        await asyncio.sleep(0.1)


async def main():
    path = sys.argv[1]
    for spec in sys.argv[2:]:
        listen, target = (int(p) for p in spec.split(":"))
        await asyncio.start_server(handler(target), "127.0.0.1", listen)
    await report(path)


if __name__ == "__main__":
    asyncio.run(main())
