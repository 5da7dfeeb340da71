// fluid.js: the GJS helper of libfluid-glib
//
// An ES module, installed as $datadir/gjs-1.0/fluid-glib-1.0/fluid.js. GJS
// 1.74 resolves no bare module name but its own ('system', 'gettext'...),
// and imports.searchPath is for the legacy imports only: a program imports
// the helper by its file URI (or by a relative path, when it ships a copy):
//
//     import Fluid from 'gi://Fluid?version=1.0';
//     import * as FluidJs from 'file:///usr/share/gjs-1.0/fluid-glib-1.0/fluid.js';
//
// A build tree has it in the same place under _build/introspection/share:
// a program that looks for gjs-1.0/fluid-glib-1.0/fluid.js in
// GLib.get_system_data_dirs() and imports it with import() finds the
// installed copy, or the build tree's under `meson devenv -C _build`
// (which also sets GI_TYPELIB_PATH and LD_LIBRARY_PATH), as
// examples/install/hello.js does.
//
// What importing it changes, once for the process: the Fluid namespace,
// and nothing of any other library. GLib, Gio, GObject and their prototypes
// stay as GJS made them (test-helper-isolation.js holds it to that). Fluid
// is the library's own namespace, and the helper its binding, as a
// PyGObject override is the binding of its namespace: it gives the
// functions of the Fluid namespace the behaviour the library promises in
// every language (an exception in JavaScript code the library calls fails
// its worker or its message, visibly, never printed and ignored, never
// leaving a task pending), and JavaScript's protocols (promises,
// iteration, plain objects). The functions keep their names and the
// reference's meaning; they differ from GJS's plain calls of C only where
// those would print an exception and go on:
//
// - Fluid.WorkerFunction.new/new_named(…, func): func may return a promise,
//   which the worker awaits before its heartbeat; a throw or a rejection
//   fails the worker (exit code 2) with toGError(exception).
// - Fluid.QueueConsumerWorker.new(func): the same for each message; a throw
//   or a rejection fails the message (message-failed; stop-on-failure
//   decides whether the worker ends). The consumer is a subclass of the
//   helper's whose loop pulls each message (pull_ready, pull()) and awaits
//   func's promise before the next: func completes nothing. Like any
//   worker, it is named before it starts or joins a group:
//   consumer.name = 'inbox'.
// - Fluid.WorkerFunction.new_async and Fluid.QueueConsumerWorker.new_async
//   (the C forms) give func the task, which it completes, now or later: a
//   throw, or a returned promise that rejects, fails the task; a returned
//   promise that fulfils completes it (TRUE) unless the function did.
// - Fluid.AsyncDispatcher.prototype.register_handler(event, func): a
//   handler of the message alone, func(message), is done when it returns,
//   or when the promise it returns fulfils; a throw or a rejection fails
//   the message. A handler that takes the task too, func(message, task)
//   (two parameters declared), completes it as new_async's function does.
// - Fluid.Dispatcher handlers: dispatch() throws, to its caller, what a
//   handler threw (the handlers after it are not called, as in aio-fluid).
// - Fluid.Dispatcher.new/Fluid.AsyncDispatcher.new(eventType): an event-type
//   function that throws fails the dispatch as a handler would.
// - Fluid.QueueConsumerWorker.new_threaded, Fluid.WorkerFunction.new_threaded
//   and new_threaded_named throw an Error at once: GJS refuses to run a
//   JavaScript function on another thread ("Attempting to run a JS callback
//   on a different thread"), and such a worker would only fail later, each
//   message or call. Off the main thread from GJS: asynchronous GIO calls
//   (their blocking part runs on GIO's threads), a Gio.Subprocess, or a
//   threaded worker written in C or Vala.
// - Every _async/_finish pair of the library is promisified (a consumer's
//   send_async(message, null) waits for room under max-queue-size);
//   worker.status() resolves to a plain object; a Fluid.Workers group is
//   iterable.
// - With a GJS older than 1.81.90, a full garbage collection after every
//   10 000 tasks, against the bug that stalls bursts of callbacks there
//   (see collectBeforeSweepStalls()).
//
// A task's return_error() is GJS's: it takes a GLib.Error, and throws a
// TypeError for anything else. A function the helper calls may throw
// anything; code that completes a task itself gives return_error() the
// toGError() of what it caught.
//
// Why the namespace changes on import rather than the helper exporting
// functions of its own: a program uses the names of the reference, and
// GJS has no supported way for a library to ship an override that loads
// with its namespace, as PyGObject has (GJS's overrides are for its own
// modules; the legacy importer happens to find an overrides/Fluid.js in
// the gjs-1.0 folder of the data folders too, but that is undocumented, a
// legacy script rather than an ES module, and would make the behaviour
// depend on XDG_DATA_DIRS). The cost: once any module imports the helper,
// the Fluid namespace is changed for every module of the process, also
// for those that use Fluid without it. For them, only what GJS's plain
// calls got wrong changes: an exception printed and ignored, a promise not
// awaited, a threaded constructor whose worker could only fail.
//
// It exports toGError(), completeTask() and Worker, a base class whose
// async run() is the body of a worker.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import System from 'system';
import Fluid from 'gi://Fluid?version=1.0';

// ---------------------------------------------------------------------------
// Errors

// The name of an Error: its name property, or its class when it did not
// set one (class NetworkError extends Error {} names itself 'Error').
function errorName(error) {
    const name = typeof error.name === 'string' && error.name !== '' ? error.name : 'Error';
    const className = error.constructor?.name;
    if (name === 'Error' && typeof className === 'string' && className !== '')
        return className;
    return name;
}

function describe(value) {
    try {
        if (value instanceof Error) {
            const name = errorName(value);
            const message = value.message === undefined ? '' : String(value.message);
            return message === '' ? name : `${name}: ${message}`;
        }
        if (typeof value === 'string')
            return value;
        if (value !== null && typeof value === 'object') {
            const prototype = Object.getPrototypeOf(value);
            if (prototype === Object.prototype || prototype === null || Array.isArray(value))
                return JSON.stringify(value) ?? String(value);
        }
        return String(value);
    } catch {
        return 'a thrown value that cannot be converted to a string';
    }
}

/**
 * Turns any thrown JavaScript value into the GLib.Error that a GTask, a
 * worker or a message needs.
 *
 * A GLib.Error is returned as it is. Any other value becomes an error in
 * the Fluid.WorkerError domain, code FAILED: for an Error, its message is
 * "Name: message" ("TypeError: x is null"; the class name for a subclass
 * that does not set name); for a string, the string; for anything else,
 * its JSON or string form.
 *
 * @param {*} value the thrown value
 * @returns {GLib.Error}
 */
export function toGError(value) {
    if (value instanceof GLib.Error)
        return value;
    return new GLib.Error(Fluid.WorkerError, Fluid.WorkerError.FAILED, describe(value));
}

// ---------------------------------------------------------------------------
// Tasks
//
// The helper completes the task of a function it calls in one of two ways.
// A function that never sees its task (a consumer's func(worker, message),
// a worker function's func(worker), Worker's run(), a handler of the
// message alone) leaves it to the helper, which completes it once the
// function returned or its promise settled: HELPER_COMPLETES. A function
// that has its task (new_async's, a handler of (message, task), the body
// given to completeTask()) may complete it itself, and the helper
// completes it only if the function did not: FUNCTION_COMPLETES.
//
// Whether it did, GTask tells without anyone watching its return_*
// methods: get_completed() is true once the task's callback has run, and
// GTask runs the callback inside the return_* call, unless the task was
// made in the main-context iteration that returns it (or its cancellable
// was cancelled): then it runs it in a later iteration, from an idle
// source of the task's priority attached to the task's context. So when
// get_completed() is false, the helper asks again from an idle source of
// its own, of the same priority on the same context, attached after any
// such completion: GLib dispatches the sources of one priority in the
// order they were attached, so false then means that nobody returned the
// task. (A lower priority would be simpler to reason about, but a worker
// whose function runs again at once, at the task's priority, would starve
// it.) It costs an iteration only when the answer is not known at once: a
// function that failed, or whose promise fulfilled in the iteration that
// made its task.

function isThenable(value) {
    return value !== null && (typeof value === 'object' || typeof value === 'function') &&
        typeof value.then === 'function';
}

// What every copy of this file loaded in the process shares (two paths to
// it make two modules): the namespace is changed once.
const SHARED = Symbol.for('fluid-glib-1.0 GJS helper');
if (Fluid[SHARED] === undefined)
    Object.defineProperty(Fluid, SHARED, {value: {Worker: null}});
const shared = Fluid[SHARED];

// Where an exception comes from: a worker, or a description of the code.
function whereName(where) {
    return where instanceof Fluid.Worker ? `the worker ${where.name}` : where;
}

// Where an exception goes when the task it should fail has completed: the
// worker it fails, or a log line naming the code that threw.
function reportLateError(error, where) {
    if (where instanceof Fluid.Worker)
        where.fail(toGError(error));
    else
        logError(error, `${whereName(where)} threw after it had completed its task`);
}

// Fails task, which has not completed, with what was thrown.
function failTask(task, error, where) {
    // The GError keeps the message, not the stack: the debug log has it
    // (G_MESSAGES_DEBUG=Gjs-Console).
    if (error instanceof Error)
        console.debug(`${whereName(where)} failed: ${describe(error)}\n${error.stack}`);
    task.return_error(toGError(error));
}

// Calls then(completed) once it is known whether task has completed: at
// once if its callback has run, else from an idle source that runs after
// the one GTask may have attached for it (see above).
function whenCompletionKnown(task, then) {
    if (task.get_completed()) {
        then(true);
        return;
    }
    const source = GLib.idle_source_new();
    source.set_name('[fluid.js] has the function completed its task?');
    source.set_priority(task.get_priority());
    source.set_callback(() => {
        then(task.get_completed());
        return GLib.SOURCE_REMOVE;
    });
    source.attach(task.get_context());
}

function failUnlessCompleted(task, error, where) {
    whenCompletionKnown(task, completed => {
        if (completed)
            reportLateError(error, where);
        else
            failTask(task, error, where);
    });
}

function succeedUnlessCompleted(task) {
    whenCompletionKnown(task, completed => {
        if (!completed)
            task.return_boolean(true);
    });
}

// GJS from 1.49.1, where collections became incremental, to 1.81.2 counts
// a collection as sweeping from its first sweep slice to its end,
// JavaScript run between the slices included, and refuses every callback
// from C in that time ("Attempting to run a JS callback during garbage
// collection"): the callback is not called, and the task it would have
// received is never completed. GJS 1.81.90, and so 1.82.0, asks
// SpiderMonkey whether it is collecting instead (GNOME/gjs!950,
// "callbacks: fix sweeping check for incremental GC"; not backported).
// Each task reaches JavaScript as an object of its own (GJS wraps every
// GObject it is given), so a burst of messages makes garbage fast: with
// GJS 1.74.2 and no collections of the helper's, a consumer of 400 000
// messages sent at once stalled for good after some 300 000
// (test-helper-burst.js; some 250 000 when the helper also noted every
// task in a WeakSet: less garbage only delays it). A full collection,
// which ends any incremental one, after every 10 000 tasks keeps a burst
// of 1 000 000 from it, and doubles the throughput (the heap stays small;
// bench-helper.js); it spends at most a tenth of the time. The messages
// of a consumer made by Fluid.QueueConsumerWorker.new() come without a
// task (see "Messages" below), but a refused call into JavaScript would
// stall its loop as surely: they count as tasks here. A GJS
// with the fix is left to collect as it will. System.version is
// major * 10000 + minor * 100 + micro.
const TASKS_BETWEEN_COLLECTIONS = System.version < 18190 ? 10000 : 0;
let tasksSinceCollection = 0;
let nextCollection = 0;

function collectBeforeSweepStalls() {
    if (TASKS_BETWEEN_COLLECTIONS === 0 || ++tasksSinceCollection < TASKS_BETWEEN_COLLECTIONS)
        return;
    const start = GLib.get_monotonic_time();
    if (start < nextCollection)
        return;
    tasksSinceCollection = 0;
    System.gc();
    const end = GLib.get_monotonic_time();
    nextCollection = end + 9 * (end - start);
}

// What becomes of a task, by what its function did: returned (anything
// but a promise), fulfilled (the promise it returned), or failed (threw,
// or its promise rejected); failed takes what was thrown and where.

// A task its function never sees: the helper completes it.
const HELPER_COMPLETES = {
    returned: task => task.return_boolean(true),
    fulfilled: task => task.return_boolean(true),
    failed: failTask,
};

// A task its function has, which it completes now or later; the helper
// only if it did not.
const FUNCTION_COMPLETES = {
    returned: null,
    fulfilled: succeedUnlessCompleted,
    failed: failUnlessCompleted,
};

// completeTask()'s: done once its body returns, unless it completed the
// task itself.
const BODY_COMPLETES = {...FUNCTION_COMPLETES, returned: succeedUnlessCompleted};

// Calls func(...args) for task, and completes the task as outcomes says.
function runForTask(task, where, outcomes, func, ...args) {
    collectBeforeSweepStalls();
    let result;
    try {
        result = func(...args);
    } catch (error) {
        outcomes.failed(task, error, where);
        return;
    }
    if (isThenable(result)) {
        Promise.resolve(result).then(() => outcomes.fulfilled(task),
            error => outcomes.failed(task, error, where));
    } else if (outcomes.returned !== null) {
        outcomes.returned(task);
    }
}

/**
 * Completes a GTask with the outcome of body: TRUE once it returned, or
 * once the promise it returned fulfilled; toGError() of what it threw or
 * what its promise rejected with. body is a function called at once, or a
 * promise. For a Fluid.TaskWorker:
 *
 *     vfunc_run_task(task) {
 *         completeTask(task, async () => { ... });
 *     }
 *
 * A task that body completed itself is left as it is.
 *
 * @param {Gio.Task} task the task to complete
 * @param {Function|Promise} body what to run, or what to wait for
 */
export function completeTask(task, body) {
    runForTask(task, 'the body given to completeTask()', BODY_COMPLETES,
        typeof body === 'function' ? body : () => body);
}

// ---------------------------------------------------------------------------
// The Fluid namespace

function promisifyAll() {
    const pairs = [
        [Fluid.Worker.prototype, ['startup', 'shutdown', 'wait_for_shutdown', 'status', 'sleep']],
        [Fluid.QueueConsumer.prototype, ['get_message', 'send']],
        [Fluid.QueueConsumerWorker.prototype, ['on_message']],
        [Fluid.AsyncDispatcher.prototype, ['dispatch']],
    ];
    for (const [prototype, names] of pairs) {
        for (const name of names)
            Gio._promisify(prototype, `${name}_async`, `${name}_finish`);
    }
}

function overrideWorkerFunction() {
    const {new_named: newNamed, new_async: newAsync} = Fluid.WorkerFunction;

    Fluid.WorkerFunction.new_named = function (name, heartbeat, func) {
        if (typeof func !== 'function')
            return newNamed(name, heartbeat, func);
        return newAsync(name, heartbeat,
            (worker, task) => runForTask(task, worker, HELPER_COMPLETES, func, worker));
    };
    Fluid.WorkerFunction.new = function (heartbeat, func) {
        return Fluid.WorkerFunction.new_named(null, heartbeat, func);
    };
    Fluid.WorkerFunction.new_async = function (name, heartbeat, func) {
        if (typeof func !== 'function')
            return newAsync(name, heartbeat, func);
        return newAsync(name, heartbeat,
            (worker, task) => runForTask(task, worker, FUNCTION_COMPLETES, func, worker, task));
    };
}

// Messages
//
// A consumer of Fluid.QueueConsumerWorker.new(func) is a FluidGjsConsumer,
// which handles its messages in a loop of its own on the library's pull
// API: pull_ready tells it that it may pull; it pulls each message with
// pull(), calls func, and, when func returned a promise, pulls the next one
// once the promise settled. The next pull counts a message as processed;
// a throw or a rejection fails it with fail_pulled() first. Nothing is
// made per message: a Gio.Task per message would cost a GObject wrapper
// each, and GJS 1.74 looks for every new wrapper, and for every one it
// finalizes, in a list of all of them (g_assert() and a linear search in
// ObjectInstance::link() and unlink(), gone in GJS 1.85.1). A promise that
// fulfils at once is followed by the next pull in the same run of GJS's
// job queue, without an iteration of the main context between them.

const MESSAGE_CALLBACK = 'a message callback';

function makeConsumerClass() {
    return GObject.registerClass({
        GTypeName: 'FluidGjsConsumer',
    }, class FluidGjsConsumer extends Fluid.QueueConsumerWorker {
        // func(worker, message): set once, by Fluid.QueueConsumerWorker.new().
        setHandler(func) {
            this._func = func;
            // A handler's promise is pending: the loop goes on when it settles.
            this._awaiting = false;
        }

        vfunc_pull_ready() {
            if (!this._awaiting)
                this._pullAll();
        }

        _fail(error) {
            if (error instanceof Error)
                console.debug(`${MESSAGE_CALLBACK} of ${this.name} failed: ${describe(error)}\n${error.stack}`);
            this.fail_pulled(toGError(error));
        }

        // Pulls and handles until nothing is left now (pull_ready will
        // call again), the run ends, or func returns a promise.
        _pullAll() {
            const func = this._func;
            for (;;) {
                const [status, message] = this.pull();
                if (status !== Fluid.Pull.MESSAGE)
                    return;
                collectBeforeSweepStalls();
                let result;
                try {
                    result = func(this, message);
                } catch (error) {
                    this._fail(error);
                    continue;
                }
                if (isThenable(result)) {
                    this._awaiting = true;
                    Promise.resolve(result).then(() => {
                        this._awaiting = false;
                        this._pullAll();
                    }, error => {
                        this._awaiting = false;
                        this._fail(error);
                        this._pullAll();
                    });
                    return;
                }
            }
        }
    });
}

function overrideQueueConsumerWorker() {
    const {new: newWorker, new_async: newAsync} = Fluid.QueueConsumerWorker;
    const Consumer = makeConsumerClass();
    const DEFAULT_CONSUMER_NAME = newWorker(null).name;

    // Without a function (null), messages go to the 'message' signal.
    Fluid.QueueConsumerWorker.new = function (func) {
        if (typeof func !== 'function')
            return newWorker(func);
        // Named as the C consumer's workers are by default, not after the
        // helper's class.
        const consumer = new Consumer({name: DEFAULT_CONSUMER_NAME});
        consumer.setHandler(func);
        return consumer;
    };
    Fluid.QueueConsumerWorker.new_async = function (func) {
        if (typeof func !== 'function')
            return newAsync(func);
        return newAsync((worker, message, task) =>
            runForTask(task, MESSAGE_CALLBACK, FUNCTION_COMPLETES, func, worker, message, task));
    };
}

// GJS has one JavaScript context, on the main thread, and refuses a call
// from any other thread into JavaScript: it prints a critical and returns
// nothing, so a threaded body would fail each time ("failed without an
// error"). The constructors refuse at once instead.
function threadsRefused(constructor, instead) {
    return function () {
        throw new Error(`${constructor} cannot run a JavaScript function: its threads would ` +
            'call it off the main thread, and GJS runs JavaScript on the main thread only ' +
            '("Attempting to run a JS callback on a different thread"). ' +
            `Use ${instead}, or write the threaded worker in C or Vala`);
    };
}

function overrideThreaded() {
    const instead = 'new_async() with asynchronous GIO calls, whose blocking part runs on ' +
        'GIO\'s own threads (Gio.File.load_contents_async(), ...), or a Gio.Subprocess';
    Fluid.QueueConsumerWorker.new_threaded = threadsRefused(
        'Fluid.QueueConsumerWorker.new_threaded()', `Fluid.QueueConsumerWorker.${instead}`);
    Fluid.WorkerFunction.new_threaded = threadsRefused(
        'Fluid.WorkerFunction.new_threaded()', `Fluid.WorkerFunction.${instead}`);
    Fluid.WorkerFunction.new_threaded_named = threadsRefused(
        'Fluid.WorkerFunction.new_threaded_named()', `Fluid.WorkerFunction.${instead}`);
}

// Jobs (1.2): `await job.wait()` gives the job's output (null when it had
// none) or rejects with its error; it reads the job rather than the out
// GValue of wait_finish(), which GJS cannot give when it stays unset. A job
// worker runs a JavaScript function on the main thread only (n_threads 0);
// what the function throws fails its job.
function overrideJobs() {
    Fluid.Job.prototype.wait = function (cancellable = null) {
        return new Promise((resolve, reject) => {
            this.wait_async(cancellable, job => {
                const state = job.get_state();
                if (state === Fluid.JobState.SUCCEEDED)
                    resolve(job.get_output());
                else if (state === Fluid.JobState.QUEUED || state === Fluid.JobState.RUNNING)
                    reject(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED,
                        'The wait was cancelled'));
                else
                    reject(job.get_error());
            });
        });
    };
    const newJobWorker = Fluid.JobWorker.new;
    const refused = threadsRefused('Fluid.JobWorker.new() with threads',
        'Fluid.JobWorker.new(0, func) or Fluid.JobWorker.new_async() with asynchronous ' +
        'GIO calls, whose blocking part runs on GIO\'s own threads');
    Fluid.JobWorker.new = function (nThreads, func) {
        if (nThreads > 0)
            refused();
        return newJobWorker(0, (job, cancellable) => {
            try {
                const output = func(job, cancellable);
                if (output !== undefined && output !== null)
                    job.set_output(output);
            } catch (error) {
                throw toGError(error);
            }
            return true;
        });
    };
}

// The calls of Fluid.Dispatcher.prototype.dispatch() under way, innermost
// last: what their handlers threw.
const dispatchFrames = [];

function callSyncHandler(func, message, event) {
    const frame = dispatchFrames.at(-1);
    // A handler of this dispatch threw: the exception is on its way out,
    // and aio-fluid calls no further handler.
    if (frame?.failed)
        return;
    try {
        const result = func(message);
        if (isThenable(result)) {
            // Its outcome has nowhere to go: dispatch() says so instead.
            Promise.resolve(result).catch(() => {});
            throw new TypeError(`the handler of "${event}" returned a promise, which a ` +
                'Fluid.Dispatcher does not wait for: register it on a Fluid.AsyncDispatcher');
        }
    } catch (error) {
        if (frame === undefined) {
            logError(error, `a handler of "${event}" threw outside Fluid.Dispatcher.dispatch()`);
            return;
        }
        frame.failed = true;
        frame.error = error;
    }
}

// An event-type function that threw returns this event type, whose handler
// (registered by the constructors below) fails the dispatch with what was
// thrown. It is called at once, in the same dispatch.
const EVENT_TYPE_ERROR = 'fluid-gjs-event-type-error';
let eventTypeError = null;

function takeEventTypeError() {
    const error = eventTypeError?.error;
    eventTypeError = null;
    return error;
}

function wrapEventType(func) {
    return (dispatcher, message) => {
        try {
            const type = func(dispatcher, message);
            if (type !== null && type !== undefined && typeof type !== 'string')
                throw new TypeError(`the event type function returned ${describe(type)}, not a string`);
            return type ?? null;
        } catch (error) {
            eventTypeError = {error};
            return EVENT_TYPE_ERROR;
        }
    };
}

function overrideDispatchers() {
    const syncNew = Fluid.Dispatcher.new;
    const syncRegister = Fluid.Dispatcher.prototype.register_handler;
    const syncDispatch = Fluid.Dispatcher.prototype.dispatch;
    const asyncNew = Fluid.AsyncDispatcher.new;
    const asyncRegister = Fluid.AsyncDispatcher.prototype.register_handler;
    const getEventType = Fluid.BaseDispatcher.prototype.get_event_type;

    Fluid.Dispatcher.prototype.register_handler = function (event, func) {
        if (typeof func !== 'function')
            return syncRegister.call(this, event, func);
        return syncRegister.call(this, event, message => callSyncHandler(func, message, event));
    };

    Fluid.Dispatcher.prototype.dispatch = function (message) {
        const frame = {failed: false, error: undefined};
        dispatchFrames.push(frame);
        let count;
        try {
            count = syncDispatch.call(this, message);
        } finally {
            dispatchFrames.splice(dispatchFrames.lastIndexOf(frame), 1);
        }
        if (frame.failed)
            throw frame.error;
        return count;
    };

    Fluid.AsyncDispatcher.prototype.register_handler = function (event, func) {
        if (typeof func !== 'function')
            return asyncRegister.call(this, event, func);
        const where = `the handler of "${event}"`;
        // A handler that declares the task completes it; one of the
        // message alone cannot, and the helper does.
        if (func.length >= 2) {
            return asyncRegister.call(this, event, (message, task) =>
                runForTask(task, where, FUNCTION_COMPLETES, func, message, task));
        }
        return asyncRegister.call(this, event, (message, task) =>
            runForTask(task, where, HELPER_COMPLETES, func, message));
    };

    Fluid.Dispatcher.new = function (func) {
        if (typeof func !== 'function')
            return syncNew(func);
        const dispatcher = syncNew(wrapEventType(func));
        syncRegister.call(dispatcher, EVENT_TYPE_ERROR, message =>
            callSyncHandler(() => {
                if (eventTypeError !== null)
                    throw takeEventTypeError();
            }, message, EVENT_TYPE_ERROR));
        return dispatcher;
    };

    Fluid.AsyncDispatcher.new = function (func) {
        if (typeof func !== 'function')
            return asyncNew(func);
        const dispatcher = asyncNew(wrapEventType(func));
        asyncRegister.call(dispatcher, EVENT_TYPE_ERROR, (message, task) => {
            if (eventTypeError === null)
                task.return_boolean(true);
            else
                task.return_error(toGError(takeEventTypeError()));
        });
        return dispatcher;
    };

    // Called from JavaScript, an event-type function that threw throws.
    Fluid.BaseDispatcher.prototype.get_event_type = function (message) {
        const type = getEventType.call(this, message);
        if (type === EVENT_TYPE_ERROR && eventTypeError !== null)
            throw takeEventTypeError();
        return type;
    };
}

function overrideWorkers() {
    /**
     * The status of a worker as a plain object: {running: true, ...}, and
     * for a group {childName: {running: ...}, ...}.
     *
     * @param {Gio.Cancellable} [cancellable]
     * @returns {Promise<object>}
     */
    Fluid.Worker.prototype.status = async function (cancellable = null) {
        return (await this.status_async(cancellable)).recursiveUnpack();
    };

    // for (const child of group), [...group]
    Fluid.Workers.prototype[Symbol.iterator] = function* () {
        const count = this.get_n_items();
        for (let i = 0; i < count; i++)
            yield this.get_item(i);
    };
}

function install() {
    promisifyAll();
    overrideWorkerFunction();
    overrideQueueConsumerWorker();
    overrideDispatchers();
    overrideWorkers();
    overrideThreaded();
    overrideJobs();

    /**
     * The base of a JavaScript worker whose body is an async method,
     * run(cancellable), called once when the worker starts: it loops while
     * this.is_running(). When its promise fulfils the worker stops normally;
     * when it rejects (or run throws), the worker fails with toGError() of
     * the exception: exit code 2, and wait_for_shutdown() rejects with it.
     * cancellable is the worker's own, cancelled on a forced stop.
     *
     * GJS 1.74 cannot implement run_async (a virtual method with a callback
     * parameter): this class implements Fluid.TaskWorker's run_task for it.
     */
    const Worker = GObject.registerClass({
        GTypeName: 'FluidGjsWorker',
        GTypeFlags: GObject.TypeFlags.ABSTRACT,
    }, class Worker extends Fluid.TaskWorker {
        vfunc_run_task(task) {
            runForTask(task, this, HELPER_COMPLETES, () => this.run(task.get_cancellable()));
        }

        run(cancellable) { // eslint-disable-line no-unused-vars
            throw new GLib.Error(Fluid.WorkerError, Fluid.WorkerError.FAILED,
                `${this.constructor.name} does not implement run()`);
        }
    });

    return Worker;
}

if (shared.Worker === null)
    shared.Worker = install();

export const {Worker} = shared;

