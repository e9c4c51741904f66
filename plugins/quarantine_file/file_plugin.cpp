// The plugin's entry points: quarantine_type = file.
#include "file_store.hpp"

using qmilter::quarantine_file::FileStore;

QMILTER_PLUGIN(FileStore, "file", "1.0.0",
               "Keeps quarantined mail as files in quarantine_directory (pyquarantine-compatible layout)")
