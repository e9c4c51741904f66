#include "template_variables.hpp"

#include "core/html/mixed_script.hpp"
#include "core/html/sanitizer.hpp"
#include "core/compose/header_encoding.hpp"

namespace qmilter::notification_email {

using compose::decode_header_value;
using compose::repair_utf8;
using compose::url_encode;
using compose::without_line_breaks;

namespace {

constexpr std::string_view html_text_name = "EMAIL_HTML_TEXT";
constexpr std::string_view attachments_name = "EMAIL_ATTACHMENTS";

// "Name: value" with the value as a person reads it.
std::string readable_header_line(std::string_view line) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return decode_header_value(line);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  return repair_utf8(line.substr(0, colon)) + ": " + decode_header_value(value);
}

}  // namespace

MessageFacts collect_facts(const sdk::MessageView& message, std::string_view quarantine_id, const sdk::Match& match) {
  MessageFacts facts;
  facts.envelope_from = repair_utf8(message.sender());
  facts.header_from = decode_header_value(message.header("From").value_or(""));
  facts.header_subject = decode_header_value(message.header("Subject").value_or(""));
  facts.header_date = decode_header_value(message.header("Date").value_or(""));
  facts.match = readable_header_line(match.subject);
  facts.quarantine_id = std::string(quarantine_id);
  facts.groups = match.groups;
  facts.named = match.named;
  return facts;
}

TemplateVariables::TemplateVariables(const MessageFacts& facts, std::string_view recipient,
                                     std::string_view release_url)
    : html_text_(&facts.html_text), attachments_(&facts.attachments) {
  // Named groups first, so that the built-in names below replace any that collide.
  for (const auto& [name, value] : facts.named) values_[name] = repair_utf8(value.value_or(""));
  for (std::size_t i = 0; i < facts.groups.size(); ++i) {
    values_["SUBGROUP_" + std::to_string(i)] = repair_utf8(facts.groups[i].value_or(""));
  }
  const auto with_url = [this](const std::string& name, std::string value) {
    values_[name + "_URL"] = url_encode(value);
    values_[name] = std::move(value);
  };
  with_url("EMAIL_ENVELOPE_FROM", facts.envelope_from);
  with_url("EMAIL_FROM", facts.header_from);
  with_url("EMAIL_TO", repair_utf8(recipient));
  with_url("EMAIL_SUBJECT", facts.header_subject);
  with_url("EMAIL_QUARANTINE_ID", facts.quarantine_id);
  values_["EMAIL_FROM_LOOKALIKES"] = html::lookalike_note(facts.header_from);
  values_["EMAIL_SUBJECT_LOOKALIKES"] = html::lookalike_note(facts.header_subject);
  values_["EMAIL_DATE"] = facts.header_date;
  values_["EMAIL_MATCH"] = facts.match;
  values_["EMAIL_RELEASE_URL"] = std::string(release_url);  // a URL already: not encoded again
}

std::string TemplateVariables::html(std::string_view name) const {
  if (name == html_text_name) return *html_text_;
  if (name == attachments_name) return mime::attachments_html(*attachments_);
  const auto it = values_.find(name);
  if (it == values_.end()) return {};
  return html::escape(it->second);
}

std::string TemplateVariables::text(std::string_view name) const {
  if (name == html_text_name) return without_line_breaks(*html_text_);
  if (name == attachments_name) return without_line_breaks(mime::attachments_text(*attachments_));
  const auto it = values_.find(name);
  if (it == values_.end()) return {};
  return without_line_breaks(it->second);
}

}  // namespace qmilter::notification_email
