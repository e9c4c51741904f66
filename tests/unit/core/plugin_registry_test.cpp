// The plugin loader against real shared objects: the project's plugins and broken ones.
#include <gtest/gtest.h>

#include "core/plugins/plugin_registry.hpp"
#include "test_files.hpp"

namespace qmilter::core {
namespace {

std::string error_loading(const std::string& file) {
  try {
    PluginRegistry::load_file(file);
  } catch (const PluginError& e) {
    return e.what();
  }
  return "loaded";
}

TEST(PluginRegistry, FindsPluginsByKindAndCaseInsensitiveName) {
  PluginRegistry registry(QMILTER_TEST_PLUGIN_DIR);
  const LoadedPlugin& plugin = registry.find(sdk::PluginKind::action, "REJECT", "/");
  EXPECT_EQ(plugin.name, "reject");
  EXPECT_EQ(plugin.kind, sdk::PluginKind::action);
  EXPECT_EQ(plugin.abi_major, sdk::abi_major);
  ASSERT_EQ(plugin.options.size(), 1u);
  EXPECT_EQ(plugin.options[0].name, "reject_reason");
}

TEST(PluginRegistry, LoadingTwiceGivesTheSameLibrary) {
  const LoadedPlugin& a = PluginRegistry::load_file(QMILTER_TEST_PLUGIN_DIR "/action_accept.so");
  const LoadedPlugin& b = PluginRegistry::load_file(QMILTER_TEST_PLUGIN_DIR "/../plugins/action_accept.so");
  EXPECT_EQ(&a, &b);
}

TEST(PluginRegistry, UnknownNameListsTheAvailablePluginsOfThatKind) {
  PluginRegistry registry(QMILTER_TEST_PLUGIN_DIR);
  try {
    registry.find(sdk::PluginKind::action, "bounce", "/");
    FAIL();
  } catch (const PluginError& e) {
    std::string text = e.what();
    EXPECT_NE(text.find("no action plugin named 'bounce' in " QMILTER_TEST_PLUGIN_DIR), std::string::npos) << text;
    EXPECT_NE(text.find("(available: accept, discard, hold, reject, tag, tempfail"), std::string::npos) << text;
  }
}

std::string host_abi() { return std::to_string(sdk::abi_major) + "." + std::to_string(sdk::abi_minor); }

TEST(PluginRegistry, RefusesAnotherAbiNamingFileAndBothVersions) {
  std::string file = QMILTER_TEST_FIXTURE_DIR "/test_plugin_wrong_abi.so";
  EXPECT_EQ(error_loading(file), file + ": plugin built for SDK ABI " + std::to_string(sdk::abi_major + 1) +
                                     ".0, this qmilter has ABI " + host_abi() +
                                     ": rebuild it against this qmilter's qmilter-devel (" QMILTER_VERSION
                                     ", SDK ABI " + host_abi() + ")");
}

TEST(PluginRegistry, RefusesAPluginBuiltForSdk1NamingTheDevelPackage) {
  std::string file = QMILTER_TEST_FIXTURE_DIR "/test_plugin_sdk_1_0.so";
  EXPECT_EQ(error_loading(file), file + ": plugin built for SDK ABI 1.0, this qmilter has ABI " + host_abi() +
                                     ": rebuild it against this qmilter's qmilter-devel (" QMILTER_VERSION
                                     ", SDK ABI " + host_abi() + ")");
}

TEST(PluginRegistry, RefusesASharedObjectWithoutEntryPoint) {
  std::string file = QMILTER_TEST_FIXTURE_DIR "/test_plugin_no_entry.so";
  EXPECT_EQ(error_loading(file), file + ": not a qmilter plugin (no entry point qmilter_plugin_describe)");
}

TEST(PluginRegistry, RefusesAFileThatIsNotASharedObject) {
  test::ScratchDir dir;
  std::string file = std::filesystem::canonical(dir.path()).string() + "/fake.so";
  dir.write("fake.so", "this is text\n");
  std::string error = error_loading(file);
  EXPECT_EQ(error.rfind(file + ": not a loadable shared object: ", 0), 0u) << error;
}

TEST(PluginRegistry, RefusesAMissingFile) {
  std::string error = error_loading("/nonexistent/plugin.so");
  EXPECT_EQ(error.rfind("/nonexistent/plugin.so: cannot open plugin: ", 0), 0u) << error;
}

TEST(PluginRegistry, BrokenFilesInThePluginDirectoryAreSkippedWhenListing) {
  test::ScratchDir dir;
  dir.write("junk.so", "junk");
  std::filesystem::copy_file(QMILTER_TEST_PLUGIN_DIR "/action_discard.so", dir.path() / "action_discard.so");
  auto plugins = PluginRegistry(dir.path()).available();
  ASSERT_EQ(plugins.size(), 1u);
  EXPECT_EQ(plugins[0]->name, "discard");
}

}  // namespace
}  // namespace qmilter::core
