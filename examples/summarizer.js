// summarizer.js: a queue consumer that holds a resource while it runs, in GJS
//
// The GJS port of summarizer.c (aio-fluid's AnthropicWorker example,
// without the network): it writes a one-line summary of each text item (its
// first sentence and its word count) to the output file, and stops at an
// empty string.
//
// GJS 1.74 cannot implement the run_async or on_message_async virtual
// methods (they take a callback), so this port gives its function to
// Fluid.QueueConsumerWorker.new(), which calls it for each message, one at a
// time and in order. With the GJS helper imported, an exception in that
// function fails its message, and so the worker (stop-on-failure, as in
// aio-fluid): wait_for_shutdown then rejects with it. The file is open from
// before the worker starts until it has stopped, as `async with` in
// aio-fluid.
//
// Run with: gjs -m summarizer.js OUTPUT-FILE
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Fluid from 'gi://Fluid?version=1.0';
import System from 'system';

// The GJS helper of libfluid-glib. Installed, it is
// 'file:///usr/share/gjs-1.0/fluid-glib-1.0/fluid.js' (under /usr/local
// for the default prefix); this example runs from the source tree.
import '../introspection/fluid.js';

const ARTICLES = [
    'Async programming in Python allows multiple tasks to run concurrently ' +
    'within a single thread by yielding control at await points, which is ' +
    'particularly efficient for I/O-bound workloads such as HTTP requests ' +
    'and database queries. It is not a silver bullet.',

    'Large language models are trained on vast corpora of text using ' +
    'self-supervised objectives, enabling them to learn grammar, facts, and ' +
    'reasoning patterns that can be adapted to a wide range of downstream ' +
    'tasks through prompting or fine-tuning.',

    'The observer pattern decouples event producers from consumers by ' +
    'introducing an intermediary that maintains a list of subscribers and ' +
    'notifies them when state changes. New listeners need no change to the ' +
    'source.',
];

// The first sentence of text, and its number of words.
function summarize(text) {
    const match = /^.*?[.!?](?= |$)/.exec(text);
    const sentence = match ? match[0] : text;
    const words = text.split(/\s+/).filter(word => word !== '').length;
    return `${sentence} (${words} words)`;
}

// A worker that writes the summary of each text to stream, and stops at
// the empty string.
function newSummarizer(stream, results) {
    const encoder = new TextEncoder();
    return Fluid.QueueConsumerWorker.new((worker, text) => {
        if (text === '') { // the sentinel: end of input
            worker.gracefully_stop();
            return;
        }
        const summary = summarize(text);
        stream.write_all(encoder.encode(`${summary}\n`), null);
        results.push(summary);
    });
}

async function main(args) {
    if (args.length !== 1) {
        printerr('Usage: gjs -m summarizer.js OUTPUT-FILE');
        return 2;
    }
    const output = Gio.File.new_for_commandline_arg(args[0]);
    const stream = output.replace(null, false, Gio.FileCreateFlags.NONE, null);
    const results = [];
    try {
        const worker = newSummarizer(stream, results);
        await worker.startup_async(null);
        for (const article of ARTICLES)
            worker.send(article);
        worker.send(''); // end of input

        // The worker stops at the sentinel, or fails with a write error.
        await worker.wait_for_shutdown_async(null);
    } finally {
        stream.close(null);
    }
    for (const line of results)
        print(line);
    return 0;
}

const loop = new GLib.MainLoop(null, false);
let status = 1;

main(System.programArgs)
    .then(code => {
        status = code;
    })
    .catch(e => printerr(`summarizer failed: ${e.message}`))
    .finally(() => loop.quit());
loop.run();
System.exit(status);
