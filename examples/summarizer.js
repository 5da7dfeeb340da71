// summarizer.js: a queue consumer that holds a resource while it runs, in GJS
//
// The GJS port of summarizer.c (aio-fluid's AnthropicWorker example,
// without the network): it writes a one-line summary of each text item (its
// first sentence and its word count) to the output file, and stops at an
// empty string.
//
// GJS 1.74 cannot implement the run_async or on_message_async virtual
// methods (they take a callback), so this port extends
// Fluid.QueueConsumerWorker and receives the messages through its `message`
// signal, one at a time and in order. The file is opened when the worker
// starts (the `started` signal) and closed when it has stopped (the
// after_shutdown virtual method, which has no callback).
//
// Run with: gjs -m summarizer.js OUTPUT-FILE
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import Fluid from 'gi://Fluid?version=1.0';
import System from 'system';

for (const name of ['startup', 'wait_for_shutdown'])
    Gio._promisify(Fluid.Worker.prototype, `${name}_async`, `${name}_finish`);

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

const Summarizer = GObject.registerClass(
class Summarizer extends Fluid.QueueConsumerWorker {
    constructor(output) {
        super();
        this.output = output;
        this.stream = null;
        this.results = [];
        this.error = null;
        this.connect('started', () => this.open());
        this.connect('message', (worker, text) => this.summarizeMessage(text));
    }

    // The file is open while the worker runs, as `async with` in aio-fluid.
    open() {
        try {
            this.stream = this.output.replace(null, false, Gio.FileCreateFlags.NONE, null);
        } catch (e) {
            this.fail(e);
        }
    }

    summarizeMessage(text) {
        if (this.stream === null)
            return;
        if (text === '') { // the sentinel: end of input
            this.gracefully_stop();
            return;
        }
        this.results.push(summarize(text));
        try {
            this.stream.write_all(new TextEncoder().encode(`${this.results.at(-1)}\n`), null);
        } catch (e) {
            this.fail(e);
        }
    }

    // A signal handler cannot fail the worker: keep the first error and stop.
    fail(error) {
        this.error ??= error;
        this.gracefully_stop();
    }

    vfunc_after_shutdown(reason, exitCode) {
        try {
            this.stream?.close(null);
        } catch (e) {
            this.error ??= e;
        }
        this.stream = null;
    }
});

async function main(args) {
    if (args.length !== 1) {
        printerr('Usage: gjs -m summarizer.js OUTPUT-FILE');
        return 2;
    }
    const worker = new Summarizer(Gio.File.new_for_commandline_arg(args[0]));
    await worker.startup_async(null);
    for (const article of ARTICLES)
        worker.send(article);
    worker.send(''); // end of input

    // The worker stops at the sentinel.
    await worker.wait_for_shutdown_async(null);
    if (worker.error !== null)
        throw worker.error;
    for (const line of worker.results)
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
