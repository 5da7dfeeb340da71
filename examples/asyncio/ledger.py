#!/usr/bin/python3
# ledger.py: an AsyncConsumer whose async handlers are chosen by a field of
# each message
#
# Messages are dicts with a "kind". An AsyncDispatcher routes each to the
# coroutine registered for its kind, and the AsyncConsumer awaits it before
# it takes the next message, so that the balance is updated in order. The
# consumer's end is awaited as a task, beside the code that feeds it.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio

import gi

gi.require_version("Fluid", "1.0")
from gi.repository import Fluid  # noqa: E402

ENTRIES = [
    {"kind": "deposit", "amount": 120},
    {"kind": "withdrawal", "amount": 45},
    {"kind": "deposit", "amount": 30},
    {"kind": "audit"},
    {"kind": "close"},
]


class ByKind(Fluid.AsyncDispatcher):
    def event_type(self, message):
        return message["kind"]


class Ledger:
    def __init__(self):
        self.balance = 0
        self.consumer = None

    async def deposit(self, entry):
        await asyncio.sleep(0)  # as a database write would
        self.balance += entry["amount"]
        print(f"deposit of {entry['amount']}: balance {self.balance}")

    async def withdrawal(self, entry):
        await asyncio.sleep(0)
        self.balance -= entry["amount"]
        print(f"withdrawal of {entry['amount']}: balance {self.balance}")

    def audit(self, entry):
        # A plain function is a handler too.
        print(f"audit: {self.consumer.queue_size()} entry left in the queue")

    def close(self, entry):
        self.consumer.gracefully_stop()


async def main():
    ledger = Ledger()
    dispatcher = ByKind()
    for kind in ("deposit", "withdrawal", "audit", "close"):
        dispatcher.register_handler(kind, getattr(ledger, kind))

    ledger.consumer = Fluid.AsyncConsumer(dispatcher, name="ledger")
    await ledger.consumer.startup()
    stopped = asyncio.create_task(ledger.consumer.wait_for_shutdown())
    for entry in ENTRIES:
        ledger.consumer.send(entry)
    await stopped
    status = await ledger.consumer.status()
    print(f"final balance {ledger.balance}, {status['processed']} entries processed")


if __name__ == "__main__":
    Fluid.install_asyncio()
    asyncio.run(main())
