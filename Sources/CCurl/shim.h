#pragma once
#include <curl/curl.h>

/*
 * libcurl's declarations only: qwen-sync does not link libcurl (no `link` directive here, no
 * pkg-config in Package.swift). QwenOAuth loads libcurl.so.4 with dlopen on the first HTTP
 * request and passes the addresses of curl_easy_setopt / curl_easy_getinfo to the wrappers below.
 *
 * Those two functions are variadic, and Swift cannot call variadic C functions. Each wrapper
 * fixes the type of the value argument so the call passes exactly what libcurl expects for
 * that option family.
 */

/// The signature libcurl expects for CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION.
typedef size_t (*qs_curl_data_callback)(char *data, size_t size, size_t count, void *context);

/// curl_easy_setopt's and curl_easy_getinfo's type.
typedef CURLcode (*qs_curl_variadic)(CURL *handle, int option, ...);

/// CURL_GLOBAL_DEFAULT for curl_global_init; the flag macro does not import into Swift.
enum { QS_CURL_GLOBAL_DEFAULT = CURL_GLOBAL_DEFAULT };

/// Sets an option that takes a `long` (timeouts, flags, sizes).
static inline CURLcode qs_curl_setopt_long(void *setopt, CURL *handle, CURLoption option, long value) {
    return ((qs_curl_variadic)setopt)(handle, option, value);
}

/// Sets an option that takes a C string; libcurl copies the string.
static inline CURLcode qs_curl_setopt_str(void *setopt, CURL *handle, CURLoption option, const char *value) {
    return ((qs_curl_variadic)setopt)(handle, option, value);
}

/// Sets an option that takes an opaque pointer (callback context).
static inline CURLcode qs_curl_setopt_ptr(void *setopt, CURL *handle, CURLoption option, void *value) {
    return ((qs_curl_variadic)setopt)(handle, option, value);
}

/// Sets an option that takes a header list; the list must outlive the transfer.
static inline CURLcode qs_curl_setopt_slist(void *setopt, CURL *handle, CURLoption option, struct curl_slist *value) {
    return ((qs_curl_variadic)setopt)(handle, option, value);
}

/// Sets the body callback (CURLOPT_WRITEFUNCTION).
static inline CURLcode qs_curl_setopt_write_function(void *setopt, CURL *handle, qs_curl_data_callback callback) {
    return ((qs_curl_variadic)setopt)(handle, CURLOPT_WRITEFUNCTION, callback);
}

/// Sets the header-line callback (CURLOPT_HEADERFUNCTION).
static inline CURLcode qs_curl_setopt_header_function(void *setopt, CURL *handle, qs_curl_data_callback callback) {
    return ((qs_curl_variadic)setopt)(handle, CURLOPT_HEADERFUNCTION, callback);
}

/// Reads a `long` transfer property (response code, OS errno).
static inline CURLcode qs_curl_getinfo_long(void *getinfo, CURL *handle, CURLINFO info, long *value) {
    return ((qs_curl_variadic)getinfo)(handle, info, value);
}

/// Reads a `curl_off_t` transfer property (timings in microseconds).
static inline CURLcode qs_curl_getinfo_off_t(void *getinfo, CURL *handle, CURLINFO info, curl_off_t *value) {
    return ((qs_curl_variadic)getinfo)(handle, info, value);
}
