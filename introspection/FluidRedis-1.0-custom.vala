/* FluidRedis-1.0-custom.vala: what vapigen 0.56 cannot write from the GIR
 * and FluidRedis-1.0.metadata. The producer's names are const char * const *
 * in C: with that type here, valac casts the char ** it passes, which C
 * refuses to convert by itself (-Werror=incompatible-pointer-types, an
 * error by default from GCC 14). The metadata skips what the GIR would
 * have made of them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

namespace FluidRedis {
	public sealed class StreamProducer : Fluid.Worker {
		[CCode (cname = "fluid_redis_stream_producer_add_async", finish_name = "fluid_redis_stream_producer_add_finish")]
		[Version (since = "1.2")]
		public async string add ([CCode (array_length = false, array_null_terminated = true, type = "const char* const*")] string[] fields, GLib.Cancellable? cancellable) throws GLib.Error;
		[CCode (cname = "fluid_redis_stream_producer_add_bytes_async", finish_name = "fluid_redis_stream_producer_add_bytes_finish")]
		[Version (since = "1.2")]
		public async string add_bytes ([CCode (array_length_cname = "n_fields", array_length_pos = 2.1, array_length_type = "guint", type = "const char* const*")] string[] names, [CCode (array_length_cname = "n_fields", array_length_pos = 2.1, array_length_type = "guint")] GLib.Bytes[] values, GLib.Cancellable? cancellable) throws GLib.Error;
		[Version (since = "1.2")]
		public bool send ([CCode (array_length = false, array_null_terminated = true, type = "const char* const*")] string[] fields);
		[Version (since = "1.2")]
		public bool send_bytes ([CCode (array_length_cname = "n_fields", array_length_pos = 2.1, array_length_type = "guint", type = "const char* const*")] string[] names, [CCode (array_length_cname = "n_fields", array_length_pos = 2.1, array_length_type = "guint")] GLib.Bytes[] values);
	}
}
