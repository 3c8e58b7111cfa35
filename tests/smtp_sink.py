#!/usr/bin/env python3
"""A real SMTP server for labbridge's tests (aiosmtpd), with failures on request.

Every accepted message is decoded by Python's own e-mail package - an implementation
independent of lettre - and written as one JSON file per message into --dir:
{"seq", "message_id", "to", "from", "subject", "text", "html", "content_type"}.

Failures are chosen by the recipient's local part, so one run can mix them:
  tempfail-N@...   answers 451 to the first N attempts for that address, then accepts;
  reject@...       answers 550 (permanent) every time.
--delay-ms slows every DATA answer (to catch a worker in the middle of a batch).
--quiet counts and keeps only the Message-IDs (for benchmarks): {"message_ids": [...]}
is written to --dir/ids.json on SIGTERM.

Prints "ready PORT" on standard output once it listens.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, delay, quiet):
        self.directory = directory
        self.delay = delay
        self.quiet = quiet
        self.seq = 0
        self.attempts = {}
        self.ids = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable (test sink)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        for address in envelope.rcpt_tos:
            local = address.split("@", 1)[0].lower()
            if local.startswith("tempfail-"):
                try:
                    wanted = int(local.split("-", 1)[1].split(".", 1)[0])
                except ValueError:
                    wanted = 1
                count = self.attempts.get(address, 0)
                self.attempts[address] = count + 1
                if count < wanted:
                    return "451 4.3.0 try again later (test sink)"
        with self.lock:
            self.seq += 1
            seq = self.seq
        if self.quiet:
            message_id = None
            for line in envelope.content.split(b"\r\n"):
                if line.lower().startswith(b"message-id:"):
                    message_id = line.split(b":", 1)[1].strip().decode("ascii", "replace")
                    break
                if not line:
                    break
            self.ids.append(message_id)
            return "250 OK"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        record = {
            "seq": seq,
            "message_id": message.get("Message-ID"),
            "to": envelope.rcpt_tos,
            "from": message.get("From"),
            "subject": message.get("Subject"),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "content_type": message.get_content_type(),
        }
        path = os.path.join(self.directory, f"{seq:08d}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        return "250 OK"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    port = args.port or free_port()
    sink = Sink(args.dir, args.delay_ms / 1000.0, args.quiet)
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10,
                            data_size_limit=10 * 1024 * 1024)
    controller.start()
    stopped = threading.Event()

    def stop(*_):
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"ready {port}", flush=True)
    while not stopped.wait(0.2):
        pass
    controller.stop()
    if args.quiet:
        with open(os.path.join(args.dir, "ids.json"), "w", encoding="utf-8") as out:
            json.dump({"message_ids": sink.ids, "at": time.time()}, out)
    sys.exit(0)


if __name__ == "__main__":
    main()
