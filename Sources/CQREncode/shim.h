#pragma once
/*
 * libqrencode's declarations only: qwen-sync does not link libqrencode. QwenOAuth loads
 * libqrencode.so.4 with dlopen when `login` first draws a QR code.
 */
#include <qrencode.h>
