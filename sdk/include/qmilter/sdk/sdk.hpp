// Everything a plugin needs, in one include.
#pragma once

#include "qmilter/sdk/abi.hpp"
#include "qmilter/sdk/action.hpp"
#include "qmilter/sdk/guard.hpp"
#include "qmilter/sdk/logger.hpp"
#include "qmilter/sdk/message.hpp"
#include "qmilter/sdk/metrics.hpp"
#include "qmilter/sdk/notifier.hpp"
#include "qmilter/sdk/option_text.hpp"
#include "qmilter/sdk/options.hpp"
#include "qmilter/sdk/plugin.hpp"
#include "qmilter/sdk/release_links.hpp"
#include "qmilter/sdk/result.hpp"
#include "qmilter/sdk/store.hpp"
#include "qmilter/sdk/text.hpp"
#include "qmilter/sdk/whitelist.hpp"
#include "qmilter/sdk/whitelist_entry.hpp"
