#!/usr/bin/python3
"""A stand-in for systemd-logind on a private D-Bus bus, for qwen-sync's sleep tests and benchmarks.

It owns org.freedesktop.login1 on the bus named by $FAKE_LOGIND_BUS, hands out delay inhibitors
(Inhibit returns the write end of a pipe; closing it releases the inhibitor) and emits
PrepareForSleep when told to. Commands, one per line on standard input, each answered on
standard output:
  sleep  PrepareForSleep(true), then "SLEEPING released <ms>" once every inhibitor is released,
         or "SLEEPING timeout <held>" after logind's default 5 s delay
  wake   PrepareForSleep(false), then "WOKE <CLOCK_MONOTONIC ms>"
  count  "HELD <inhibitors held>"
It also prints "INHIBIT ..." and "RELEASED <held>" as inhibitors come and go, and "READY" once
it owns its name. Needs Debian's python3-dbus and python3-gi.
"""
import os, sys, time, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(os.environ["FAKE_LOGIND_BUS"])
held = {}
waiting = []

def say(text):
    print(text, flush=True)

def released(fd, condition):
    os.close(fd)
    held.pop(fd, None)
    say("RELEASED %d" % len(held))
    if not held and waiting:
        started = waiting.pop()
        say("SLEEPING released %d" % int((time.monotonic() - started) * 1000))
    return False

class Manager(dbus.service.Object):
    @dbus.service.method("org.freedesktop.login1.Manager", in_signature="ssss", out_signature="h")
    def Inhibit(self, what, who, why, mode):
        read_end, write_end = os.pipe()
        held[read_end] = (what, mode)
        GLib.io_add_watch(read_end, GLib.IO_HUP | GLib.IO_ERR, released)
        say("INHIBIT %s %s %s %d" % (what, who, mode, len(held)))
        handed = dbus.types.UnixFd(write_end)
        os.close(write_end)
        return handed

    @dbus.service.signal("org.freedesktop.login1.Manager", signature="b")
    def PrepareForSleep(self, start):
        pass

name = dbus.service.BusName("org.freedesktop.login1", bus)
manager = Manager(bus, "/org/freedesktop/login1")

def too_late(started):
    if waiting and waiting[-1] is started:
        waiting.pop()
        say("SLEEPING timeout %d" % len(held))
    return False

def command(source, condition):
    line = sys.stdin.readline().strip()
    if not line:
        loop.quit()
        return False
    if line == "sleep":
        manager.PrepareForSleep(True)
        if held:
            started = time.monotonic()
            waiting.append(started)
            GLib.timeout_add(5000, too_late, started)
        else:
            say("SLEEPING released 0")
    elif line == "wake":
        manager.PrepareForSleep(False)
        say("WOKE %d" % (time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000000))
    elif line == "count":
        say("HELD %d" % len(held))
    return True

GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, command)
say("READY")
loop = GLib.MainLoop()
loop.run()
