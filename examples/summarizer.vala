/* summarizer.vala: a queue consumer that holds a resource for the whole of run
 *
 * The Vala port of summarizer.c: a Fluid.QueueConsumer subclass opens the
 * output file when run starts and closes it when run ends, writes a one-line
 * summary of each text item (its first sentence and its word count), and
 * stops at an empty string.
 *
 * Usage: summarizer-vala OUTPUT-FILE
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

const string[] ARTICLES = {
    "Async programming in Python allows multiple tasks to run concurrently " +
    "within a single thread by yielding control at await points, which is " +
    "particularly efficient for I/O-bound workloads such as HTTP requests " +
    "and database queries. It is not a silver bullet.",

    "Large language models are trained on vast corpora of text using " +
    "self-supervised objectives, enabling them to learn grammar, facts, and " +
    "reasoning patterns that can be adapted to a wide range of downstream " +
    "tasks through prompting or fine-tuning.",

    "The observer pattern decouples event producers from consumers by " +
    "introducing an intermediary that maintains a list of subscribers and " +
    "notifies them when state changes. New listeners need no change to the " +
    "source.",
};

/* The first sentence of text, and its number of words. */
string summarize (string text) {
    uint n_words = 0;
    foreach (var word in Regex.split_simple ("[ \t\n]+", text))
        if (word != "")
            n_words++;
    MatchInfo match;
    var sentence = /^.*?[.!?](?= |$)/.match (text, 0, out match) ? match.fetch (0) : text;
    return "%s (%u words)".printf (sentence, n_words);
}

class Summarizer : Fluid.QueueConsumer {
    public File output;
    public string[] results = {};

    async void summarize_messages (OutputStream stream, Cancellable? cancellable) throws Error {
        while (is_running ()) {
            Value? message = yield get_message (-1, cancellable);
            if (message == null)  /* the worker is stopping */
                continue;
            if (message.get_string () == "")  /* the sentinel: end of input */
                return;
            results += summarize (message.get_string ());
            yield stream.write_all_async ((results[results.length - 1] + "\n").data,
                                          Priority.DEFAULT, cancellable, null);
        }
    }

    public override async bool run (Cancellable? cancellable) throws Error {
        /* The file is open for the whole loop, as `async with` in aio-fluid. */
        var stream = yield output.replace_async (null, false, FileCreateFlags.NONE,
                                                 Priority.DEFAULT, cancellable);
        try {
            yield summarize_messages (stream, cancellable);
        } catch (Error e) {
            stream.close ();  /* close, but report the first error */
            throw e;
        }
        yield stream.close_async (Priority.DEFAULT, null);
        return true;
    }
}

int main (string[] args) {
    if (args.length != 2) {
        printerr ("Usage: %s OUTPUT-FILE\n", args[0]);
        return 2;
    }
    var worker = new Summarizer ();
    worker.output = File.new_for_commandline_arg (args[1]);
    var loop = new MainLoop ();
    int status = 0;

    worker.startup.begin (null);
    foreach (var article in ARTICLES)
        worker.send_string (article);
    worker.send_string ("");  /* end of input */

    /* run returns at the sentinel. */
    worker.wait_for_shutdown.begin (null, (obj, res) => {
        try {
            worker.wait_for_shutdown.end (res);
            foreach (var line in worker.results)
                print ("%s\n", line);
        } catch (Error e) {
            printerr ("summarizer failed: %s\n", e.message);
            status = 1;
        }
        loop.quit ();
    });
    loop.run ();
    return status;
}
