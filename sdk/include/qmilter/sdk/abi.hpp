// The SDK's ABI version and symbol export macro.
// Bump QMILTER_SDK_ABI_MAJOR on any change to a virtual interface or a type layout in this
// SDK; bump the minor for additions that old plugins cannot observe. The host loads a plugin
// when the majors are equal and the plugin's minor is not newer than the host's, and calls a
// virtual added in a minor only on plugins built with that minor or a newer one.
//   2.2  QuarantineStore::claim_recipient, finish_claim, abandon_claim
//   2.3  QuarantineStore::keeps_notes, read_note, replace_note
#pragma once

#define QMILTER_SDK_ABI_MAJOR 2
#define QMILTER_SDK_ABI_MINOR 3

#define QMILTER_SDK_EXPORT __attribute__((visibility("default")))

#define QMILTER_PLUGIN_MAGIC 0x514d504cu  // "QMPL"

namespace qmilter::sdk {

inline constexpr unsigned abi_major = QMILTER_SDK_ABI_MAJOR;
inline constexpr unsigned abi_minor = QMILTER_SDK_ABI_MINOR;

// The four kinds of plugin. The values are part of the ABI.
enum class PluginKind : unsigned { quarantine = 1, notification = 2, whitelist = 3, action = 4 };

}  // namespace qmilter::sdk
