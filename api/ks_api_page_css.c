/* GET /static/kyso.css: the verification page's stylesheet (ks_api_page.c),
 * served from the binary so the page needs no file beside the daemon and
 * nothing from elsewhere (no web fonts: the system's sans-serif, which
 * has the Vietnamese letters). */
#include "api/ks_api_int.h"

/* Readable on a phone (one column, large targets), contrast of at least
 * 4.5:1 for text (WCAG 2.1 1.4.3), focus always visible. */
static const char page_css[] =
    ":root{--fg:#1b1b1b;--bg:#fff;--muted:#4a4a4a;--ok:#0b6b2c;--okbg:#e6f4ea;"
    "--chg:#7a4b00;--chgbg:#fff4de;--bad:#a3111b;--badbg:#fde8e9;--unk:#3d3d7a;"
    "--unkbg:#ececf7;--link:#0645ad;--focus:#ffbf00}\n"
    "*{box-sizing:border-box}\n"
    "html{font-size:100%;-webkit-text-size-adjust:100%}\n"
    "body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\","
    "Arial,sans-serif;line-height:1.5;color:var(--fg);background:var(--bg)}\n"
    "header,main,footer{max-width:46rem;margin:0 auto;padding:0 1rem}\n"
    "header{display:flex;flex-direction:row-reverse;justify-content:space-between;"
    "align-items:center;padding-top:.75rem}\n"
    ".brand{font-weight:700;margin:0;color:var(--muted)}\n"
    "h1{font-size:1.6rem;line-height:1.25;margin:1rem 0}\n"
    "h2{font-size:1.3rem;margin:1.5rem 0 .5rem}\n"
    "h3{font-size:1.1rem;margin:0 0 .5rem;overflow-wrap:anywhere}\n"
    "a{color:var(--link)}\n"
    "a:focus,button:focus,input:focus{outline:3px solid var(--focus);outline-offset:2px}\n"
    ":focus-visible{outline:3px solid var(--focus);outline-offset:2px}\n"
    ".skip{position:absolute;left:-999px;top:0;background:var(--bg);padding:.5rem}\n"
    ".skip:focus{left:.5rem}\n"
    ".lang a{display:inline-block;padding:.5rem .75rem;border:1px solid var(--link);"
    "border-radius:.4rem;text-decoration:none;min-height:44px}\n"
    ".lead{font-size:1.05rem}\n"
    ".upload{display:flex;flex-direction:column;gap:.6rem;padding:1rem;border:1px solid "
    "#8a8a8a;border-radius:.6rem;margin:1rem 0}\n"
    ".upload label{font-weight:700}\n"
    ".upload input[type=file]{font-size:1rem;padding:.5rem;border:1px dashed #6b6b6b;"
    "border-radius:.4rem;min-height:44px;max-width:100%}\n"
    ".hint{margin:0;color:var(--muted);font-size:.95rem}\n"
    "button{font-size:1.1rem;font-weight:700;padding:.7rem 1.2rem;min-height:48px;"
    "border:0;border-radius:.5rem;background:#0b5394;color:#fff;cursor:pointer}\n"
    "button:hover{background:#083b6a}\n"
    ".verdict{border-left:.6rem solid;border-radius:.5rem;padding:1rem;margin:1rem 0}\n"
    ".verdict h2{font-size:1.5rem;margin:0 0 .5rem}\n"
    ".verdict .mark{display:inline-block;min-width:1.5em;text-align:center;font-weight:900}\n"
    ".v-authentic{background:var(--okbg);border-color:var(--ok);color:var(--ok)}\n"
    ".v-changed{background:var(--chgbg);border-color:var(--chg);color:var(--chg)}\n"
    ".v-bad{background:var(--badbg);border-color:var(--bad);color:var(--bad)}\n"
    ".v-unknown,.v-unsigned{background:var(--unkbg);border-color:var(--unk);color:var(--unk)}\n"
    ".verdict p,.verdict li,.verdict dd{color:var(--fg)}\n"
    ".changes li,details li{margin:.25rem 0}\n"
    ".plain{font-weight:700}\n"
    ".registry{border-left:.6rem solid;border-radius:.5rem;padding:1rem;margin:1rem 0}\n"
    ".registry h2{font-size:1.3rem;margin:0 0 .5rem}\n"
    ".r-match{background:var(--okbg);border-color:var(--ok)}.r-match h2{color:var(--ok)}\n"
    ".r-old{background:var(--chgbg);border-color:var(--chg)}.r-old h2{color:var(--chg)}\n"
    ".r-other{background:var(--badbg);border-color:var(--bad)}.r-other h2{color:var(--bad)}\n"
    ".events li{margin:.4rem 0}\n"
    ".verdict h3{margin-top:1rem}\n"
    "details{margin-top:.5rem}\n"
    "summary{cursor:pointer;font-weight:700;padding:.4rem 0;min-height:44px}\n"
    ".tag{display:inline-block;font-size:.85rem;padding:0 .4rem;border:1px solid;"
    "border-radius:.3rem}\n"
    ".signer{border:1px solid #8a8a8a;border-radius:.6rem;padding:1rem;margin:1rem 0}\n"
    ".s-ok{border-left:.4rem solid var(--ok)}\n"
    ".s-bad{border-left:.4rem solid var(--bad)}\n"
    ".s-unknown{border-left:.4rem solid var(--unk)}\n"
    "dl{display:grid;grid-template-columns:minmax(8rem,30%) 1fr;gap:.3rem 1rem;margin:0}\n"
    "dt{font-weight:700}\n"
    "dd{margin:0;overflow-wrap:anywhere}\n"
    ".chain{margin:0;padding-left:1.2rem}\n"
    ".ok{color:var(--ok);font-weight:700}\n"
    ".warn{color:var(--chg);font-weight:700}\n"
    ".bad{color:var(--bad);font-weight:700}\n"
    ".error{background:var(--badbg);color:var(--bad);border-left:.4rem solid var(--bad);"
    "padding:.75rem;border-radius:.4rem;font-weight:700}\n"
    "code{overflow-wrap:anywhere;font-size:.95rem}\n"
    "footer{color:var(--muted);font-size:.9rem;margin-top:2rem;padding-bottom:2rem}\n"
    "@media (max-width:36rem){dl{grid-template-columns:1fr}dt{margin-top:.4rem}"
    "h1{font-size:1.35rem}.verdict h2{font-size:1.25rem}button{width:100%}}\n"
    "@media (prefers-reduced-motion:reduce){*{transition:none!important}}\n";

int ks_api_h_page_css(void *svc, const struct ks_api_request *q, struct ks_api_reply *r)
{
	(void)svc;
	(void)q;
	r->status = 200;
	r->content_type = "text/css; charset=utf-8";
	r->csp = KS_API_PAGE_CSP;
	return ks_buf_set(&r->body, page_css, sizeof(page_css) - 1);
}
