"""qmilter's integration test rig: real Postfix, smtp-sink, qmilter and miltertest,
each in its own module; tests/integration/conftest.py turns them into pytest fixtures."""

from .holding_relay import HoldingRelay
from .logfile import LogFile
from .miltertest import run_miltertest
from .ports import free_port, ipv6_loopback_available
from .postfix import Postfix
from .qmilter_config import quarantine_section, render_config, simple_config, write_config
from .qmilter_process import (MilterProcess, Qmilter, build_dir, qmilter_binary, run_qmilter, run_qmilterctl,
                              source_dir)
from .smtp_client import SmtpResult, make_message, send_mail, unique_address
from .smtp_sink import SinkMessage, SmtpSink
from .waiting import wait_until
from .web_process import WebProcess, csrf_of, links_in, run_web

__all__ = [
    "HoldingRelay", "LogFile", "MilterProcess", "Postfix", "Qmilter", "SinkMessage", "SmtpResult", "SmtpSink",
    "build_dir", "free_port", "ipv6_loopback_available", "make_message", "qmilter_binary",
    "quarantine_section", "render_config", "run_miltertest", "run_qmilter", "run_qmilterctl", "send_mail", "simple_config",
    "source_dir", "unique_address", "wait_until", "write_config", "WebProcess", "csrf_of", "links_in", "run_web",
]
