# anthropic.py: an offline stand-in for the part of the Anthropic SDK that
# queue_consumer.py uses (AsyncAnthropic, messages.stream, get_final_text),
# so that the tutorial's example runs in the tests without a network. Its
# "summary" is the first clause of the text, after a short asynchronous
# pause, as a streamed answer would take.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio


class _Stream:
    def __init__(self, prompt):
        self._text = prompt.split(": ", 1)[-1]

    async def __aenter__(self):
        await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc_info):
        return False

    async def get_final_text(self):
        await asyncio.sleep(0)
        return self._text.split(",")[0].rstrip(".") + "."


class _Messages:
    def stream(self, *, model, max_tokens, messages):
        return _Stream(messages[-1]["content"])


class AsyncAnthropic:
    def __init__(self):
        self.messages = _Messages()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        return False
