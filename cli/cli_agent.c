/* kyso agent: the signing agent on the principal's computer
 * (docs/agent.md).  SIGTERM or SIGINT stops it (the token is logged out
 * first), exit 0. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ks_agent.h"
#include "cli/ks_cli.h"
#include "ks_cur.h"
#include "ks_log.h"
#include "pkcs11/ks_p11.h"

#define DEFAULT_LISTEN "127.0.0.1:8341"

static void agent_usage(FILE *f)
{
	fprintf(f,
		"usage: kyso agent --origin URL [--origin URL]... [--listen 127.0.0.1:PORT]\n"
		"                  [--key pkcs11:URI] [--chain PEM] [--pin-prompt page|tty]\n"
		"                  [--session-ttl DURATION]\n"
		"  --origin       a school platform whose pages may use the agent, as\n"
		"                 scheme://host[:port] (e.g. https://truong.example.vn);\n"
		"                 every other page is refused\n"
		"  --listen       127.0.0.1 only (default %s; port 0: any free port)\n"
		"  --key          offer only the keys this RFC 7512 URI names (default: every\n"
		"                 key with a certificate on the inserted tokens); no PIN in it\n"
		"  --chain        issuing CA certificates beside those on the token\n"
		"  --pin-prompt   page (default): the agent's own confirmation page, opened by\n"
		"                 the platform as a popup, lists the documents and takes the\n"
		"                 PIN; tty: the agent's terminal does. A reader with a PIN pad\n"
		"                 takes the PIN itself either way\n"
		"  --session-ttl  keep the token logged in this long after a PIN (e.g. 8h,\n"
		"                 45m, 90s; at most 24h); each batch is still confirmed.\n"
		"                 Default 0: the PIN for every batch\n"
		"The PIN is never taken from the platform's page, the environment or a\n"
		"command line. Each signature is logged (label, digest, time) on stderr.\n"
		"SIGTERM/SIGINT: log the token out and exit 0.\n"
		"environment: KYSO_LOG (log level)\n",
		DEFAULT_LISTEN);
}

/* "0", "90", "90s", "45m", "8h". */
static int parse_duration(const char *s, unsigned *out)
{
	struct ks_cur c;
	uint64_t v = 0, mul = 1;

	ks_cur_init(&c, s, strlen(s));
	if (ks_cur_decimal(&c, 6, 1000000, &v) < 0)
		return KS_SET(KS_ERR_USAGE, "--session-ttl: a number with s, m or h, not '%s'", s);
	if (ks_cur_accept(&c, "h", 1))
		mul = 3600;
	else if (ks_cur_accept(&c, "m", 1))
		mul = 60;
	else
		(void)ks_cur_accept(&c, "s", 1);
	if (!ks_cur_eof(&c) || v * mul > KS_AGENT_SESSION_TTL_MAX)
		return KS_SET(KS_ERR_USAGE, "--session-ttl: a duration up to 24h, not '%s'", s);
	*out = (unsigned)(v * mul);
	return 0;
}

static int key_uri_check(const char *uri)
{
	struct ks_p11_uri u;
	int rc = -1;

	ks_p11_uri_init(&u);
	KS_GUARD(ks_p11_uri_parse(uri, &u));
	KS_ENSURE(!u.has_pin_value && u.pin_source == NULL, KS_ERR_USAGE,
		  "--key must not carry a PIN: the agent asks for it on its own prompt");
	rc = 0;
out:
	ks_p11_uri_cleanup(&u);
	return rc;
}

int ks_cli_agent(int argc, char **argv)
{
	enum { O_ORIGIN = 1, O_LISTEN, O_KEY, O_CHAIN, O_PROMPT, O_TTL, O_HELP };
	static const struct option opts[] = {
		{ "origin", required_argument, NULL, O_ORIGIN },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "key", required_argument, NULL, O_KEY },
		{ "chain", required_argument, NULL, O_CHAIN },
		{ "pin-prompt", required_argument, NULL, O_PROMPT },
		{ "session-ttl", required_argument, NULL, O_TTL },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct ks_cli_seen seen;
	struct ks_agent_conf conf;
	struct ks_agent *a = NULL;
	sigset_t stop;
	int c, sig = 0, status = KS_EXIT_USAGE;

	memset(&seen, 0, sizeof(seen));
	memset(&conf, 0, sizeof(conf));
	conf.listen = DEFAULT_LISTEN;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == O_HELP) {
			agent_usage(stdout);
			return KS_EXIT_OK;
		}
		if (c < O_ORIGIN || c > O_TTL) {
			fprintf(stderr, "kyso agent: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			agent_usage(stderr);
			return KS_EXIT_USAGE;
		}
		if (c == O_ORIGIN) {
			if (conf.n_origins == KS_AGENT_ORIGINS_MAX) {
				fprintf(stderr, "kyso agent: at most %d origins\n",
					KS_AGENT_ORIGINS_MAX);
				return KS_EXIT_USAGE;
			}
			conf.origins[conf.n_origins++] = optarg;
			continue;
		}
		if (ks_cli_once(&seen, argv[optind - 1]) < 0)
			goto fail;
		switch (c) {
		case O_LISTEN:
			conf.listen = optarg;
			break;
		case O_KEY:
			if (key_uri_check(optarg) < 0)
				goto fail;
			conf.key_uri = optarg;
			break;
		case O_CHAIN:
			conf.chain_pem = optarg;
			break;
		case O_PROMPT:
			if (strcmp(optarg, "page") == 0) {
				conf.prompt = KS_AGENT_PROMPT_PAGE;
			} else if (strcmp(optarg, "tty") == 0) {
				conf.prompt = KS_AGENT_PROMPT_TTY;
			} else {
				fprintf(stderr, "kyso agent: --pin-prompt page or tty\n");
				return KS_EXIT_USAGE;
			}
			break;
		default:
			if (parse_duration(optarg, &conf.session_ttl_s) < 0)
				goto fail;
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kyso agent: unexpected argument '%s'\n", argv[optind]);
		return KS_EXIT_USAGE;
	}
	if (conf.n_origins == 0) {
		fprintf(stderr, "kyso agent: give the platform's origin (--origin URL)\n");
		return KS_EXIT_USAGE;
	}
	/* The PIN comes from the agent's own prompt only: a PIN in the
	 * environment would sign for any page that asks. */
	if (unsetenv("KYSO_PIN") != 0) {
		fprintf(stderr, "kyso agent: cannot clear KYSO_PIN\n");
		return KS_EXIT_USAGE;
	}
	/* Every signature is logged: info level unless KYSO_LOG says. */
	if (getenv("KYSO_LOG") == NULL)
		ks_log_set_level(KS_LOG_INFO);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0) {
		KS_SET(KS_ERR_INTERNAL, "cannot block SIGTERM/SIGINT");
		goto fail;
	}
	if (ks_agent_start(&conf, &a) < 0)
		goto fail;
	printf("kyso agent: listening on http://127.0.0.1:%u/ for %zu platform origin%s\n",
	       (unsigned)ks_agent_port(a), conf.n_origins, conf.n_origins == 1 ? "" : "s");
	fflush(stdout);
	if (sigwait(&stop, &sig) != 0)
		sig = SIGTERM;
	ks_agent_stop(a);
	a = NULL;
	ks_p11_shutdown();
	printf("kyso agent: %s received, stopped\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	return KS_EXIT_OK;
fail:
	ks_cli_error("agent");
	ks_agent_stop(a);
	return status;
}
