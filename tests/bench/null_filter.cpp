// null_filter: the cheapest filter that still reads headers, as the baseline qmilter is
// measured against. It asks the MTA for no reply on every step but end of headers, where
// it accepts, so the MTA never sends the body. With --skip-unused it also has the MTA leave
// out HELO, DATA and unknown commands, as qmilter does. libmilter runs each connection on
// its own thread; the filter keeps no state beyond the flags read at start.
#include <libmilter/mfapi.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

// Steps the MTA must not wait on (those Debian 12's libmilter 8.17 knows).
constexpr unsigned long no_reply_steps =
    SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA |
    SMFIP_NR_UNKN | SMFIP_NR_HDR;
// Steps a header filter has no use for at all (--skip-unused).
constexpr unsigned long unused_steps = SMFIP_NOHELO | SMFIP_NODATA | SMFIP_NOUNKNOWN;
// Same listen backlog as qmilter, so bursts of connections meet the same queue.
constexpr int listen_backlog = 128;

bool skip_unused = false;

sfsistat on_negotiate(SMFICTX*, unsigned long, unsigned long offered_protocol, unsigned long,
                      unsigned long, unsigned long* actions, unsigned long* protocol,
                      unsigned long* reserved2, unsigned long* reserved3) {
  *actions = 0;
  *protocol = offered_protocol & (no_reply_steps | (skip_unused ? unused_steps : 0));
  *reserved2 = 0;
  *reserved3 = 0;
  return SMFIS_CONTINUE;
}

sfsistat on_connect(SMFICTX*, char*, _SOCK_ADDR*) { return SMFIS_NOREPLY; }
sfsistat on_helo(SMFICTX*, char*) { return SMFIS_NOREPLY; }
sfsistat on_envelope(SMFICTX*, char**) { return SMFIS_NOREPLY; }
sfsistat on_data(SMFICTX*) { return SMFIS_NOREPLY; }
sfsistat on_unknown(SMFICTX*, const char*) { return SMFIS_NOREPLY; }
sfsistat on_header(SMFICTX*, char*, char*) { return SMFIS_NOREPLY; }
sfsistat on_eoh(SMFICTX*) { return SMFIS_ACCEPT; }
// Reached only by an MTA that ignored the ACCEPT at end of headers.
sfsistat on_eom(SMFICTX*) { return SMFIS_ACCEPT; }

int usage(const char* self) {
  std::fprintf(stderr, "usage: %s -s SOCKET [--skip-unused]\n"
               "  SOCKET: unix:/path, inet:PORT@HOST or inet6:PORT@HOST\n", self);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
      socket = argv[++i];
    } else if (std::strcmp(argv[i], "--skip-unused") == 0) {
      skip_unused = true;
    } else {
      return usage(argv[0]);
    }
  }
  if (socket.empty()) return usage(argv[0]);

  char name[] = "null_filter";
  smfiDesc description{};
  description.xxfi_name = name;
  description.xxfi_version = SMFI_VERSION;
  description.xxfi_flags = 0;
  description.xxfi_connect = on_connect;
  description.xxfi_helo = on_helo;
  description.xxfi_envfrom = on_envelope;
  description.xxfi_envrcpt = on_envelope;
  description.xxfi_header = on_header;
  description.xxfi_eoh = on_eoh;
  description.xxfi_eom = on_eom;
  description.xxfi_unknown = on_unknown;
  description.xxfi_data = on_data;
  description.xxfi_negotiate = on_negotiate;

  if (smfi_setconn(socket.data()) == MI_FAILURE || smfi_register(description) == MI_FAILURE ||
      smfi_setbacklog(listen_backlog) == MI_FAILURE || smfi_opensocket(true) == MI_FAILURE) {
    std::fprintf(stderr, "null_filter: cannot listen on %s\n", socket.c_str());
    return 1;
  }
  std::fprintf(stderr, "null_filter: listening on %s\n", socket.c_str());
  return smfi_main() == MI_SUCCESS ? 0 : 1;
}
