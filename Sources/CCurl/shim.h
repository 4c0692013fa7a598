#pragma once
#include <curl/curl.h>

/*
 * Typed wrappers around libcurl's variadic entry points.
 *
 * curl_easy_setopt and curl_easy_getinfo are variadic, and Swift cannot call variadic C
 * functions. Each wrapper below fixes the type of the value argument so the call passes
 * exactly what libcurl expects for that option family.
 */

/// The signature libcurl expects for CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION.
typedef size_t (*qs_curl_data_callback)(char *data, size_t size, size_t count, void *context);

/// curl_global_init(CURL_GLOBAL_DEFAULT); the flag macro does not import into Swift.
static inline CURLcode qs_curl_global_init_default(void) {
    return curl_global_init(CURL_GLOBAL_DEFAULT);
}

/// Sets an option that takes a `long` (timeouts, flags, sizes).
static inline CURLcode qs_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/// Sets an option that takes a C string; libcurl copies the string.
static inline CURLcode qs_curl_setopt_str(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Sets an option that takes an opaque pointer (callback context).
static inline CURLcode qs_curl_setopt_ptr(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Sets an option that takes a header list; the list must outlive the transfer.
static inline CURLcode qs_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Sets the body callback (CURLOPT_WRITEFUNCTION).
static inline CURLcode qs_curl_setopt_write_function(CURL *handle, qs_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

/// Sets the header-line callback (CURLOPT_HEADERFUNCTION).
static inline CURLcode qs_curl_setopt_header_function(CURL *handle, qs_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

/// Reads a `long` transfer property (response code, OS errno).
static inline CURLcode qs_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// Reads a `curl_off_t` transfer property (timings in microseconds).
static inline CURLcode qs_curl_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
