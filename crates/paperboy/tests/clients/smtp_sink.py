"""An SMTP server for Paperboy's digest tests and benchmark, on aiosmtpd.

    python smtp_sink.py PORT DIR [--discard]

Accepts every message and stores each as DIR/<random>.eml (written to a temporary name, then
renamed, so a reader never sees half a message); with --discard, only counts them, writing the
count to DIR/count twice a second. Refuses, with a permanent 550, every recipient whose address
starts with "bounce", so tests can watch bounces pile up, and with a 554 after DATA every
message to an address that starts with "reject" (the message refused, not the reader).
"""

import asyncio
import os
import sys
import uuid

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out, discard):
        self.out = out
        self.discard = discard
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("bounce"):
            return "550 5.1.1 <%s>: no such mailbox here" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(address.lower().startswith("reject") for address in envelope.rcpt_tos):
            return "554 5.6.0 Message content refused"
        self.count += 1
        if not self.discard:
            name = uuid.uuid4().hex
            partial = os.path.join(self.out, "." + name)
            with open(partial, "wb") as f:
                f.write(envelope.original_content)
            os.rename(partial, os.path.join(self.out, name + ".eml"))
        return "250 2.0.0 Message accepted for delivery"


async def write_count(sink):
    path = os.path.join(sink.out, "count")
    while True:
        with open(path + ".partial", "w") as f:
            f.write(str(sink.count))
        os.replace(path + ".partial", path)
        await asyncio.sleep(0.5)


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    discard = "--discard" in sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    sink = Sink(out, discard)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SMTP(sink, hostname="sink.test", data_size_limit=10_000_000, enable_SMTPUTF8=True),
            host="127.0.0.1",
            port=port,
        )
    )
    if discard:
        loop.create_task(write_count(sink))
    print("listening on %d" % port, flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
