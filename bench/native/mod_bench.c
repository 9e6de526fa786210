/* The native bounds of bench/: the cheapest a C handler can answer the bench's requests.
 *   SetHandler bench-hello    answers "Hello, World!" (13 bytes, text/plain)
 *   SetHandler bench-upload   reads the whole request body and answers its length
 * Built by bench/run.sh with apxs; never loaded by the module or its tests. */

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "apr_strings.h"

static int hello(request_rec *r)
{
    ap_set_content_type(r, "text/plain");
    ap_rwrite("Hello, World!", 13, r);
    return OK;
}

static int upload(request_rec *r)
{
    char buf[65536];
    apr_off_t total = 0;
    long n;
    int rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rc != OK)
        return rc;
    if (ap_should_client_block(r)) {
        while ((n = ap_get_client_block(r, buf, sizeof buf)) > 0)
            total += n;
        if (n < 0)
            return HTTP_BAD_REQUEST;
    }
    ap_set_content_type(r, "text/plain");
    ap_rputs(apr_off_t_toa(r->pool, total), r);
    return OK;
}

static int bench_handler(request_rec *r)
{
    if (!r->handler)
        return DECLINED;
    if (!strcmp(r->handler, "bench-hello"))
        return hello(r);
    if (!strcmp(r->handler, "bench-upload"))
        return upload(r);
    return DECLINED;
}

static void register_hooks(apr_pool_t *p)
{
    ap_hook_handler(bench_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA bench_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, register_hooks
};
