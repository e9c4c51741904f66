// smtp::send against a scripted server: the exact commands and DATA bytes on the wire,
// per-recipient refusals, failures reported (never thrown), timeouts.
#include "core/smtp/smtp_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "scripted_smtp_server.hpp"

namespace qmilter::smtp {
namespace {

using testing::ScriptedSmtpServer;
using testing::ServerBehaviour;

MessageSource text_source(std::vector<std::string> chunks) {
  return [chunks](const sdk::ChunkVisitor& visit) -> sdk::Status {
    for (const auto& chunk : chunks) {
      if (!visit(chunk)) break;
    }
    return {};
  };
}

Server server_at(int port) {
  Server server;
  server.host = "127.0.0.1";
  server.port = port;
  server.timeout = std::chrono::seconds(5);
  server.helo_name = "qmilter.test";
  return server;
}

TEST(SmtpClient, SendsOneTransactionWithNormalisedDotStuffedData) {
  ScriptedSmtpServer sink;
  // As the FILE store keeps it: headers with LF, body with CRLF as received from the MTA.
  auto outcome = send(server_at(sink.port()), "sender@example.org", {"a@example.com", "b@example.com"},
                      text_source({"From: s@example.org\nSubject: hi\n\n", "body\r\n.dot\r\n", "..two\r\nend\r\n"}));
  ASSERT_TRUE(outcome.delivered) << outcome.reply;
  EXPECT_EQ(outcome.reply_code, 250);
  EXPECT_TRUE(outcome.refused_recipients.empty());
  ASSERT_TRUE(sink.wait_for_quit(5));
  EXPECT_EQ(sink.commands(), (std::vector<std::string>{"EHLO qmilter.test", "MAIL FROM:<sender@example.org>",
                                                        "RCPT TO:<a@example.com>", "RCPT TO:<b@example.com>",
                                                        "DATA", "QUIT"}));
  ASSERT_EQ(sink.data().size(), 1u);
  EXPECT_EQ(sink.data()[0],
            "From: s@example.org\r\nSubject: hi\r\n\r\nbody\r\n..dot\r\n...two\r\nend\r\n.\r\n");
}

TEST(SmtpClient, NullSenderIsSentAsEmptyPath) {
  ScriptedSmtpServer sink;
  auto outcome = send(server_at(sink.port()), "", {"a@example.com"}, text_source({"Subject: x\n\nbody\r\n"}));
  ASSERT_TRUE(outcome.delivered) << outcome.reply;
  EXPECT_EQ(sink.commands().at(1), "MAIL FROM:<>");
}

TEST(SmtpClient, RefusedRecipientsAreListedAndTheRestDelivered) {
  ScriptedSmtpServer sink;
  auto outcome = send(server_at(sink.port()), "s@example.org", {"refuse@example.com", "ok@example.com"},
                      text_source({"Subject: x\n\nbody\r\n"}));
  EXPECT_TRUE(outcome.delivered) << outcome.reply;
  EXPECT_EQ(outcome.refused_recipients, (std::vector<std::string>{"refuse@example.com"}));
  EXPECT_EQ(sink.data().size(), 1u);
}

TEST(SmtpClient, EveryRecipientRefusedPermanentlyIsAPermanentFailure) {
  ScriptedSmtpServer sink;
  auto outcome = send(server_at(sink.port()), "s@example.org", {"refuse@example.com"}, text_source({"x\r\n"}));
  EXPECT_FALSE(outcome.delivered);
  EXPECT_TRUE(outcome.permanent);
  EXPECT_EQ(outcome.reply_code, 550);
  EXPECT_NE(outcome.reply.find("No such user"), std::string::npos) << outcome.reply;
  EXPECT_TRUE(sink.data().empty());
}

TEST(SmtpClient, ATemporaryRefusalMakesTheFailureTemporary) {
  ScriptedSmtpServer sink;
  auto outcome = send(server_at(sink.port()), "s@example.org", {"refuse@example.com", "later@example.com"},
                      text_source({"x\r\n"}));
  EXPECT_FALSE(outcome.delivered);
  EXPECT_FALSE(outcome.permanent);
  EXPECT_EQ(outcome.refused_recipients.size(), 2u);
}

TEST(SmtpClient, RejectedDataIsReportedWithTheServersReply) {
  ScriptedSmtpServer sink(ServerBehaviour{true, false, "554 5.7.1 Spam"});
  auto outcome = send(server_at(sink.port()), "s@example.org", {"a@example.com"}, text_source({"x\r\n"}));
  EXPECT_FALSE(outcome.delivered);
  EXPECT_TRUE(outcome.permanent);
  EXPECT_EQ(outcome.reply_code, 554);
  EXPECT_NE(outcome.reply.find("5.7.1 Spam"), std::string::npos) << outcome.reply;
}

TEST(SmtpClient, FallsBackToHeloWhenEhloIsRefused) {
  ScriptedSmtpServer sink(ServerBehaviour{true, true, "250 Ok"});
  auto outcome = send(server_at(sink.port()), "s@example.org", {"a@example.com"}, text_source({"x\r\n"}));
  ASSERT_TRUE(outcome.delivered) << outcome.reply;
  EXPECT_EQ(sink.commands().at(0), "EHLO qmilter.test");
  EXPECT_EQ(sink.commands().at(1), "HELO qmilter.test");
}

TEST(SmtpClient, ConnectionRefusedIsATemporaryFailure) {
  // A port that was free a moment ago: bind, read the port, close.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  auto outcome = send(server_at(ntohs(address.sin_port)), "s@example.org", {"a@example.com"}, text_source({"x"}));
  EXPECT_FALSE(outcome.delivered);
  EXPECT_FALSE(outcome.permanent);
  EXPECT_NE(outcome.reply.find("cannot connect"), std::string::npos) << outcome.reply;
}

TEST(SmtpClient, SilentServerTimesOut) {
  ScriptedSmtpServer sink(ServerBehaviour{false, false, ""});
  Server server = server_at(sink.port());
  server.timeout = std::chrono::seconds(1);
  auto outcome = send(server, "s@example.org", {"a@example.com"}, text_source({"x"}));
  EXPECT_FALSE(outcome.delivered);
  EXPECT_FALSE(outcome.permanent);
}

TEST(SmtpClient, ASourceThatFailsAbortsTheTransaction) {
  ScriptedSmtpServer sink;
  MessageSource failing = [](const sdk::ChunkVisitor& visit) -> sdk::Status {
    visit("Subject: x\n\npartial");
    return sdk::Error{"disk on fire"};
  };
  auto outcome = send(server_at(sink.port()), "s@example.org", {"a@example.com"}, failing);
  EXPECT_FALSE(outcome.delivered);
  EXPECT_NE(outcome.reply.find("disk on fire"), std::string::npos) << outcome.reply;
  EXPECT_TRUE(sink.data().empty());
}

TEST(SmtpClient, AddressesThatWouldBreakTheCommandAreRefusedBeforeConnecting) {
  auto outcome = send(server_at(1), "s@example.org", {"a@example.com>\r\nRCPT TO:<x@y"}, text_source({"x"}));
  EXPECT_FALSE(outcome.delivered);
  EXPECT_TRUE(outcome.permanent);
  EXPECT_NE(outcome.reply.find("invalid recipient"), std::string::npos);
}

}  // namespace
}  // namespace qmilter::smtp
