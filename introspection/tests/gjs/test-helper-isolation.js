// test-helper-isolation.js: the GJS helper changes no library but Fluid
//
// The helper is imported by import(), after this file has recorded every
// own property (names and symbols) of the GLib, Gio and GObject
// namespaces, of each of their classes and interfaces and its prototype
// (Gio.Task's among them), of the boxed types the helper meets (errors,
// sources, contexts, variants, values), of JavaScript's built-in
// prototypes and of the global object. Once the helper is imported, and once it has completed and
// failed tasks of each kind, every one of them must still be the very
// same value, getter and setter: nothing patched, wrapped, added or
// removed.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import GObject from 'gi://GObject';
import Fluid from 'gi://Fluid?version=1.0';

import {assert, assertEqual, assertRejects, run, waitUntil} from './harness.js';

// What the helper may not change, by name.
//
// Not every boxed type: resolving the methods of some crashes GJS 1.74
// (GLib.StrvBuilder.prototype.unref), so those the helper meets are named.
function watchedObjects() {
    const objects = new Map([
        ['globalThis', globalThis],
        ['Object.prototype', Object.prototype],
        ['Function.prototype', Function.prototype],
        ['Array.prototype', Array.prototype],
        ['Promise', Promise],
        ['Promise.prototype', Promise.prototype],
        ['Error.prototype', Error.prototype],
        ['Symbol', Symbol],
    ]);
    for (const [name, namespace] of [['GLib', GLib], ['Gio', Gio], ['GObject', GObject]]) {
        objects.set(name, namespace);
        // Enumerating a namespace or a prototype resolves all its names.
        for (const key of Object.getOwnPropertyNames(namespace)) {
            let value;
            try {
                value = Object.getOwnPropertyDescriptor(namespace, key).value;
            } catch {
                continue; // "Unions must currently be registered as boxed types"
            }
            if (typeof value !== 'function' || value.$gtype === undefined)
                continue;
            const fundamental = GObject.type_fundamental(value.$gtype);
            if (fundamental !== GObject.TYPE_OBJECT && fundamental !== GObject.TYPE_INTERFACE)
                continue;
            objects.set(`${name}.${key}`, value);
            objects.set(`${name}.${key}.prototype`, value.prototype);
        }
    }
    for (const [name, boxed] of Object.entries({GLib, GObject})) {
        for (const key of ['Error', 'Source', 'MainContext', 'MainLoop', 'Variant', 'Bytes', 'Value']) {
            if (boxed[key] !== undefined) {
                objects.set(`${name}.${key}`, boxed[key]);
                objects.set(`${name}.${key}.prototype`, boxed[key].prototype);
            }
        }
    }
    return objects;
}

// A name GJS cannot make (it throws), before and after alike.
const UNRESOLVABLE = Object.freeze({});

// The names GJS lists but does not define, by object (Gio.TaskClass,
// GObject.ParamSpecBoolean): each look at one of the latter makes GJS
// define GObject.ParamSpec anew, so they are looked at once.
const undefinedNames = new Map();

function snapshot(object) {
    if (!undefinedNames.has(object))
        undefinedNames.set(object, new Set());
    const skipped = undefinedNames.get(object);
    const properties = new Map();
    for (const key of Reflect.ownKeys(object)) {
        if (skipped.has(key))
            continue;
        let descriptor;
        try {
            descriptor = Object.getOwnPropertyDescriptor(object, key);
        } catch {
            descriptor = UNRESOLVABLE;
        }
        if (descriptor === undefined)
            skipped.add(key);
        else
            properties.set(key, descriptor);
    }
    return properties;
}

// The differences between two snapshots of the object called name.
function differences(name, before, after) {
    const found = [];
    for (const [key, descriptor] of before) {
        const now = after.get(key);
        if (now === undefined)
            found.push(`${name}[${String(key)}] removed`);
        else if (!['value', 'get', 'set', 'writable', 'enumerable', 'configurable'].every(
            field => Object.is(descriptor[field], now[field])))
            found.push(`${name}[${String(key)}] changed`);
    }
    for (const key of after.keys()) {
        if (!before.has(key))
            found.push(`${name}[${String(key)}] added`);
    }
    return found;
}

// Resolving every constant of GLib makes GJS warn that G_MAXINT64 and the
// like do not fit in a Number; the warnings of that moment are not the
// test's.
const quiet = GLib.log_set_handler('Gjs', GLib.LogLevelFlags.LEVEL_WARNING, () => {});
const objects = watchedObjects();
// The first look resolves every name (and finds those GJS does not
// define): the snapshot is of the second.
for (const object of objects.values())
    snapshot(object);
const before = new Map([...objects].map(([name, object]) => [name, snapshot(object)]));
GLib.log_remove_handler('Gjs', quiet);

function assertUntouched(when) {
    const found = [];
    for (const [name, object] of objects)
        found.push(...differences(name, before.get(name), snapshot(object)));
    assertEqual(found, [], `changes ${when}`);
}

// Imported by the second test (a top-level await would run the harness's
// main loop inside a promise job, where GJS runs no other).
let FluidJs = null;

run([
    ['the watched objects include Gio.Task.prototype', async () => {
        assert(objects.get('Gio.Task.prototype') === Gio.Task.prototype, 'Gio.Task.prototype');
        assert(before.get('Gio.Task.prototype').has('return_error'), 'return_error recorded');
        assert(objects.size > 300, `${objects.size} objects`);
    }],

    ['importing the helper changes no other library', async () => {
        FluidJs = await import('../../fluid.js');
        assert(typeof FluidJs.toGError === 'function', 'the helper is loaded');
        assertUntouched('on import');
    }],

    ['nor does using it', async () => {
        // Each kind of function the helper calls, succeeding and failing.
        const handled = [];
        const consumer = Fluid.QueueConsumerWorker.new((worker, message) => {
            if (message === 'bad')
                throw new Error('bad message');
            handled.push(message);
        });
        consumer.stop_on_failure = false;
        for (const message of ['good', 'bad'])
            consumer.send(message);
        await consumer.startup_async(null);
        await waitUntil(() => consumer.get_queue_size() === 0 && (handled.length === 1), 'two messages');

        const dispatcher = Fluid.AsyncDispatcher.new(null);
        dispatcher.register_handler('own', async () => {});
        dispatcher.register_handler('task', (message, task) => task.return_boolean(true));
        dispatcher.register_handler('throws', (message, task) => { // eslint-disable-line no-unused-vars
            throw new TypeError('with a task');
        });
        assertEqual(await dispatcher.dispatch_async('own', null), 1, 'own');
        assertEqual(await dispatcher.dispatch_async('task', null), 1, 'task');
        await assertRejects(dispatcher.dispatch_async('throws', null), () => {});

        const worker = Fluid.WorkerFunction.new_async('plain', 0,
            (w, task) => task.return_error(new Error('not a GLib.Error')));
        await worker.startup_async(null);
        await assertRejects(worker.wait_for_shutdown_async(null), () => {});
        await consumer.shutdown_async(null);
        assertUntouched('after use');
    }],
]);
