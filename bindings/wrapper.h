/* The httpd and APR headers the module uses; bindgen reads only these. */
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_main.h>
#include <util_script.h>
#include <http_connection.h>
#include <util_filter.h>
#include <ap_mpm.h>
#include <unixd.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_buckets.h>
