#pragma once
/*
 * libsystemd's declarations only: qwen-sync does not link libsystemd. QwenSystemd loads
 * libsystemd.so.0 with dlopen on first use (only the daemon uses it).
 */
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
