// Private to pcp/src: the §7.3 option list, shared by the request and response codecs in codec.cpp.
#pragma once

#include <vector>

#include "natpunch/core/bytes.hpp"
#include "natpunch/core/result.hpp"
#include "natpunch/pcp/codec.hpp"

namespace natpunch::pcp::detail {

// Which side of the wire is read: a request is held to what a client must send (reserved bytes and
// padding zero, FILTER prefix in range), a response only to what a client needs to read it (§7.2:
// reserved fields "MUST be ignored when received").
enum class direction { request, response };

// Appends every option, each padded to a multiple of 4 with zeros.
void encode_options(core::byte_writer& out, const std::vector<option>& options);

// Reads options until `in` is at its end (the caller has checked that the message is a multiple of 4).
core::result<std::vector<option>> decode_options(core::byte_reader& in, const limits& lim, direction dir);

}  // namespace natpunch::pcp::detail
