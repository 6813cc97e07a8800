#include "xml.hpp"

#include <algorithm>
#include <cctype>

namespace natpunch::soap::detail {

namespace {

// Whitespace-only text is kept when it is an element's only child, so that "<a> </a>" reads as " "
// while indentation between elements is dropped. parse_eol folds CRLF and lone CR into LF as XML says.
// parse_fragment only so that text outside the document element shows up (and is refused) instead of
// being dropped; load() still requires exactly one document element.
constexpr unsigned parse_options = pugi::parse_cdata | pugi::parse_escapes | pugi::parse_eol |
                                   pugi::parse_wconv_attribute | pugi::parse_ws_pcdata_single |
                                   pugi::parse_fragment;

// pugixml decodes "&#0;" into a NUL that silently cuts the text short; every other forbidden character
// reference decodes into bytes leaf_text's check refuses.
bool has_nul_reference(std::string_view text) noexcept {
  for (auto at = text.find("&#"); at != std::string_view::npos; at = text.find("&#", at + 2)) {
    std::size_t i = at + 2;
    if (i < text.size() && text[i] == 'x') ++i;
    const std::size_t digits = i;
    while (i < text.size() && text[i] == '0') ++i;
    if (i > digits && i < text.size() && text[i] == ';') return true;
  }
  return false;
}

bool has_doctype(std::string_view text) noexcept {
  constexpr std::string_view marker = "<!doctype";
  const auto it = std::search(text.begin(), text.end(), marker.begin(), marker.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == static_cast<unsigned char>(b);
  });
  return it != text.end();
}

// Iterative, so a hostile nesting cannot exhaust the stack; stops at the first element too deep.
bool within_depth(const pugi::xml_node& root, std::size_t max_depth) noexcept {
  pugi::xml_node node = root;
  std::size_t depth = 1;
  while (node) {
    if (depth > max_depth) return false;
    if (pugi::xml_node down = first_element(node)) {
      node = down;
      ++depth;
      continue;
    }
    while (node != root && !next_element(node)) {
      node = node.parent();
      --depth;
    }
    if (node == root) break;
    node = next_element(node);
  }
  return true;
}

}  // namespace

std::error_code load(pugi::xml_document& doc, std::string_view text, std::size_t max_bytes, std::size_t max_depth) {
  if (text.size() > max_bytes) return errc::xml_too_large;
  if (text.find('\0') != std::string_view::npos) return errc::bad_xml;
  if (has_doctype(text)) return errc::doctype_forbidden;
  if (has_nul_reference(text)) return errc::bad_text;
  const pugi::xml_parse_result parsed = doc.load_buffer(text.data(), text.size(), parse_options, pugi::encoding_utf8);
  if (!parsed) return errc::bad_xml;
  std::size_t elements = 0;
  for (pugi::xml_node top = doc.first_child(); top; top = top.next_sibling()) {
    if (top.type() == pugi::node_element) ++elements;
    if (top.type() == pugi::node_pcdata || top.type() == pugi::node_cdata) return errc::bad_xml;
  }
  if (elements != 1) return errc::bad_xml;
  if (!within_depth(doc.document_element(), max_depth)) return errc::xml_too_deep;
  return {};
}

std::string_view local_name(const pugi::xml_node& node) noexcept {
  const std::string_view name = node.name();
  const auto colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node first_element(const pugi::xml_node& parent) noexcept {
  for (pugi::xml_node n = parent.first_child(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_element) return n;
  }
  return {};
}

pugi::xml_node next_element(const pugi::xml_node& node) noexcept {
  for (pugi::xml_node n = node.next_sibling(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_element) return n;
  }
  return {};
}

pugi::xml_node child(const pugi::xml_node& parent, std::string_view local) noexcept {
  for (pugi::xml_node n = first_element(parent); n; n = next_element(n)) {
    if (local_name(n) == local) return n;
  }
  return {};
}

std::string_view namespace_uri(const pugi::xml_node& node) noexcept {
  const std::string_view name = node.name();
  const auto colon = name.rfind(':');
  std::string attribute = colon == std::string_view::npos ? "xmlns" : "xmlns:" + std::string(name.substr(0, colon));
  for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
    if (const pugi::xml_attribute a = n.attribute(attribute.c_str())) return a.value();
  }
  return {};
}

core::result<std::string> leaf_text(const pugi::xml_node& node, std::size_t max_bytes) {
  std::string text;
  for (pugi::xml_node n = node.first_child(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_element) return errc::bad_value;
    if (n.type() != pugi::node_pcdata && n.type() != pugi::node_cdata) continue;
    const std::string_view part = n.value();
    if (part.size() > max_bytes - std::min(max_bytes, text.size())) return errc::field_too_long;
    text += part;
  }
  if (!valid_text(text)) return errc::bad_text;
  return text;
}

bool valid_text(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
      ++i;
      continue;
    }
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
      cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      cp = c & 0x07u;
    } else {
      return false;  // a continuation byte first, an overlong lead (C0, C1) or past U+10FFFF (F5..FF)
    }
    if (text.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0u) != 0x80u) return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    const std::uint32_t min = extra == 1 ? 0x80 : extra == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

bool is_plain_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  const auto c0 = static_cast<unsigned char>(name.front());
  if (!std::isalpha(c0) && c0 != '_') return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) || c == '_' || c == '-' || c == '.';
  });
}

std::string_view trim(std::string_view text) noexcept {
  constexpr std::string_view space = " \t\r\n";
  const auto first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(space);
  return text.substr(first, last - first + 1);
}

std::optional<std::uint32_t> parse_uint(std::string_view text, std::uint32_t max) noexcept {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(ch - '0');
    if (value > max) return std::nullopt;
  }
  return static_cast<std::uint32_t>(value);
}

std::optional<bool> parse_bool(std::string_view text) noexcept {
  text = trim(text);
  std::string lower(text.substr(0, 6));
  if (text.size() > 5) return std::nullopt;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  if (lower == "1" || lower == "true" || lower == "yes") return true;
  if (lower == "0" || lower == "false" || lower == "no") return false;
  return std::nullopt;
}

void append_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#13;"; break;
      default: out += c;
    }
  }
}

}  // namespace natpunch::soap::detail
