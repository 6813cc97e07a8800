// Private to soap/: loading untrusted XML with pugixml and reading it by local name, shared by the
// description, envelope and port-listing parsers. pugixml stays out of the public headers.
#pragma once

#include <pugixml.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "natpunch/core/result.hpp"
#include "natpunch/soap/error.hpp"

namespace natpunch::soap::detail {

// Parses a document from the network, in this order: size (xml_too_large), a NUL byte (bad_xml: pugixml
// would stop there and accept a prefix), any "<!DOCTYPE" (doctype_forbidden, case-insensitive, even inside
// a comment: refusing a rare false positive is cheaper than parsing a DTD), a "&#0;" reference (bad_text:
// pugixml would cut the text short there), well-formedness, text outside the document element and anything
// but exactly one document element (bad_xml), element depth (xml_too_deep; the document element is depth
// 1). pugixml parses iteratively and only knows the five predefined entities and character references, so
// nothing here recurses or expands; unknown entity references stay literal text.
std::error_code load(pugi::xml_document& doc, std::string_view text, std::size_t max_bytes, std::size_t max_depth);

// "u:AddPortMappingResponse" -> "AddPortMappingResponse": prefixes are whatever the sender chose.
std::string_view local_name(const pugi::xml_node& node) noexcept;
// The first child element with this local name, or an empty node.
pugi::xml_node child(const pugi::xml_node& parent, std::string_view local) noexcept;
pugi::xml_node first_element(const pugi::xml_node& parent) noexcept;
pugi::xml_node next_element(const pugi::xml_node& node) noexcept;
// The namespace URI bound to the node's prefix (xmlns:p on it or an ancestor; xmlns without a prefix).
std::string_view namespace_uri(const pugi::xml_node& node) noexcept;

// The text of a leaf element: its character data and CDATA joined. An element child is bad_value;
// text that is not UTF-8 or holds a control character XML 1.0 forbids (after character references
// are decoded) is bad_text; more than max_bytes is field_too_long.
core::result<std::string> leaf_text(const pugi::xml_node& node, std::size_t max_bytes);

// UTF-8 (no overlong forms, surrogates or code points past U+10FFFF) without C0 controls other than
// tab, LF and CR, and without DEL.
bool valid_text(std::string_view text) noexcept;
// ASCII XML names only: a letter or '_', then letters, digits, '_', '-', '.'. No prefix.
bool is_plain_name(std::string_view name) noexcept;
std::string_view trim(std::string_view text) noexcept;

// Unsigned decimal after trimming whitespace: digits only (no sign), no overflow, at most `max`.
std::optional<std::uint32_t> parse_uint(std::string_view text, std::uint32_t max) noexcept;
// UPnP boolean: "0"/"1", and the deprecated "false"/"true"/"no"/"yes" in any letter case (UDA 1.1 §2.5:
// sent as 0/1, accepted in every form).
std::optional<bool> parse_bool(std::string_view text) noexcept;
// Appends `text` escaped for an element or attribute value: & < > " ' and CR (as &#13;, so that a
// reader's end-of-line handling does not turn it into LF).
void append_escaped(std::string& out, std::string_view text);

}  // namespace natpunch::soap::detail
