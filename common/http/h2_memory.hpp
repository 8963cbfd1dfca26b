#pragma once
// nghttp2's memory, from this thread's green::small_blocks: nghttp2 allocates about eleven
// small blocks per response (its stream, the header block's buffers, a reference-counted buffer
// per header) and frees them when the stream closes; through malloc these cost a tenth of a
// multiplexed request's instructions.
#include <nghttp2/nghttp2.h>

namespace swarmlet::http {

/// The allocator to give nghttp2_session_client_new3; blocks may be freed on any thread.
nghttp2_mem* h2_memory();

}  // namespace swarmlet::http
