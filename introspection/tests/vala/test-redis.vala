/* test-redis.vala: FluidRedis from Vala: a consumer subclass with an async
 * handle, the producer's add and add_bytes, a bad URI. The server is started by
 * with-redis.py (FLUID_TEST_REDIS_URI).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

class Jobs : FluidRedis.StreamConsumer {
  public int handled = 0;
  public size_t last_size = 0;

  public override async bool handle (FluidRedis.Entry entry, GLib.Cancellable? cancellable) throws GLib.Error {
    Idle.add (handle.callback);
    yield;
    var data = entry.get_field ("data");
    if (data == null)
      throw new IOError.FAILED ("no data");
    last_size = data.get_size ();
    handled++;
    return true;
  }
}

string uri;

/* The warnings of the workers (lines with FLUID_WORKER), which the tests
 * cause on purpose: kept here, not written, so that they abort nothing. */
string[] worker_warnings;

/* GLogWriterFunc as C declares it: glib-2.0.vapi of Vala 0.56 gives its
 * fields no const, and the writer valac makes of a method with it is
 * refused by -Werror=incompatible-pointer-types (vala-c-check.py). */
[CCode (cname = "GLogWriterFunc", instance_pos = 3.9)]
delegate LogWriterOutput LogWriter (LogLevelFlags level,
                                    [CCode (type = "const GLogField*", array_length_type = "gsize")] LogField[] fields);

[CCode (cname = "g_log_set_writer_func")]
extern void set_log_writer (owned LogWriter writer);

LogWriterOutput keep_worker_warnings (LogLevelFlags level,
                                      [CCode (type = "const GLogField*", array_length_type = "gsize")] LogField[] fields) {
  string? worker = null;
  string? message = null;
  for (var i = 0; i < fields.length; i++) {
    var field = fields[i];
    if (field.key == "FLUID_WORKER")
      worker = (string) field.value;
    else if (field.key == "MESSAGE")
      message = (string) field.value;
  }
  if (LogLevelFlags.LEVEL_WARNING in level && worker != null) {
    worker_warnings += message;
    return LogWriterOutput.HANDLED;
  }
  return Log.writer_default (level, fields);
}

void wait_until (owned SourceFunc condition) {
  var deadline = get_monotonic_time () + 10 * TimeSpan.SECOND;
  while (!condition ()) {
    assert (get_monotonic_time () < deadline);
    MainContext.default ().iteration (true);
  }
}

void test_consume () {
  var loop = new MainLoop ();
  var jobs = (Jobs) Object.new (typeof (Jobs), uri: uri, stream: "vala-jobs", group: "workers");
  var producer = new FluidRedis.StreamProducer (uri, "vala-jobs");
  string? id = null;
  bool done = false;

  jobs.startup.begin (null, (o, r) => { done = true; });
  wait_until (() => done);
  wait_until (() => jobs.connected);
  done = false;
  producer.startup.begin (null, (o, r) => { done = true; });
  wait_until (() => done);
  producer.add.begin ({ "data", "hello", null }, null, (o, r) => {
    try {
      id = producer.add.end (r);
    } catch (Error e) {
      error ("%s", e.message);
    }
  });
  wait_until (() => id != null && jobs.handled == 1);
  assert (id.contains ("-"));
  /* Bytes as they are, a NUL among them. */
  id = null;
  uint8[] raw = { 'a', 0, 'b' };
  producer.add_bytes.begin ({ "data" }, { new Bytes (raw) }, null, (o, r) => {
    try {
      id = producer.add_bytes.end (r);
    } catch (Error e) {
      error ("%s", e.message);
    }
  });
  wait_until (() => id != null && jobs.handled == 2);
  assert (jobs.last_size == 3);
  done = false;
  jobs.shutdown.begin (null, (o, r) => { done = true; });
  wait_until (() => done);
  done = false;
  producer.shutdown.begin (null, (o, r) => { done = true; });
  wait_until (() => done);
  loop = null;
}

void test_bad_uri () {
  var consumer = new FluidRedis.StreamConsumer ("http://nowhere/", "s", "g", null);
  bool done = false;
  Error? failure = null;

  consumer.startup.begin (null, (o, r) => { done = true; });
  wait_until (() => done);
  done = false;
  consumer.wait_for_shutdown.begin (null, (o, r) => {
    try {
      consumer.wait_for_shutdown.end (r);
    } catch (Error e) {
      failure = e;
    }
    done = true;
  });
  wait_until (() => done);
  assert (failure is FluidRedis.Error.INVALID_URI);
  /* Said as a warning too, then by the failure's (the lifecycle's log
   * event, with the error's message). */
  assert (worker_warnings.length == 2);
  assert ("Invalid Redis URI" in worker_warnings[0]);
  assert ("Invalid Redis URI" in worker_warnings[1]);
}

int main (string[] args) {
  Test.init (ref args);
  set_log_writer (keep_worker_warnings);
  uri = Environment.get_variable ("FLUID_TEST_REDIS_URI");
  if (uri == null) {
    print ("1..0 # SKIP FLUID_TEST_REDIS_URI is not set\n");
    return 0;
  }
  Test.add_func ("/vala/redis/consume", test_consume);
  Test.add_func ("/vala/redis/bad-uri", test_bad_uri);
  return Test.run ();
}
