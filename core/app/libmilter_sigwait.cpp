// libmilter starts a thread that sigwait()s for SIGHUP, SIGTERM and SIGINT and treats
// SIGHUP as "stop". A signal sits in the process's shared queue until some thread takes it,
// so that thread could win a SIGHUP meant as "reload" (seen at start-up). This sigwait(),
// exported by the qmilter executable, is the one libmilter's import binds to: it removes
// the signals the main thread handles, so libmilter never takes them. Only libmilter
// calls sigwait in qmilter.
#include <dlfcn.h>
#include <signal.h>

#include <cerrno>
#include <initializer_list>

namespace {

using SigwaitFunction = int (*)(const sigset_t*, int*);

SigwaitFunction real_sigwait() {
  static SigwaitFunction function = reinterpret_cast<SigwaitFunction>(dlsym(RTLD_NEXT, "sigwait"));
  return function;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int sigwait(const sigset_t* set, int* signal_number) {
  sigset_t filtered = *set;
  for (int handled : {SIGHUP, SIGTERM, SIGINT}) sigdelset(&filtered, handled);
  SigwaitFunction function = real_sigwait();
  if (function == nullptr) return ENOSYS;
  return function(&filtered, signal_number);
}
