/* kyso: sign and verify school e-records (PAdES, XAdES, CAdES). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ks_err.h"
#include "ks_io.h"
#include "ks_log.h"
#include "cli/ks_cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "tokens", ks_cli_tokens, "list PKCS#11 tokens" },
	{ "keys", ks_cli_keys, "list signing keys and their certificates [--json]" },
	{ "sign", ks_cli_sign, "sign a PDF (PAdES), an XML record (XAdES) or any file (CAdES)" },
	{ "verify", ks_cli_verify, "verify every signature of a document" },
	{ "extend", ks_cli_extend, "raise signed documents to B-T, B-LT or B-LTA" },
	{ "timestamp", ks_cli_timestamp, "RFC 3161 timestamp of a file (.tsr), or check one" },
	{ "tsa", ks_cli_tsa, "run an RFC 3161 time-stamping authority over HTTP" },
	{ "trust", ks_cli_trust, "list trust anchors; check a certificate's revocation status" },
	{ "render", ks_cli_render, "print a transcript or gradebook (JSON record) to PDF and XML" },
	{ "serve", ks_cli_serve, "run the HTTP signing and verification service" },
	{ "client", ks_cli_client, "add, list or revoke the service's API clients" },
	{ "audit", ks_cli_audit, "check the service's audit log; inclusion proofs" },
	{ "agent", ks_cli_agent, "the signing agent for a school platform's page (127.0.0.1)" },
	{ "activate", ks_cli_activate, "approve signatures with your personal key on a service" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"kyso %s - digital signatures for school records (ký số học bạ)\n\n"
		"usage: kyso <command> [options]\n\n"
		"commands:\n",
		KS_VERSION);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"  kyso sign --key pkcs11:URI | --key-file KEY --cert CERT [--chain PEM]\n"
		"            --in FILE --out FILE [--format pdf|xml|cms]\n"
		"            [--md sha256|sha384|sha512] [--pss] [--visible PAGE,X,Y,W,H]\n"
		"            [--certify 1|2|3] [--reason TEXT] [--role TEXT] [--location TEXT]\n"
		"            [--field NAME] [--lock SPEC]\n"
		"            [--xml-mode enveloped|enveloping|detached] [--xml-parallel]\n"
		"            [--counter-sign [--counter-of ID]] [--sig-policy URI\n"
		"            --sig-policy-file FILE]\n"
		"            [--level B-B|B-T|B-LT|B-LTA --tsa URL... [--trust FILE|DIR]...]\n"
		"  kyso extend --level B-T|B-LT|B-LTA --in FILE --out FILE --tsa URL...\n"
		"            [--trust FILE|DIR]... [--content FILE]  (docs/levels.md)\n"
		"  kyso sign ... --batch DIR|LIST --out-dir DIR [--resume] [--json]\n"
		"  kyso verify FILE [--content FILE] [--trust PEM] [--json] [--lang vi|en]\n"
		"  kyso timestamp --in FILE --out FILE.tsr --tsa URL [--tsa URL]...\n"
		"  kyso tsa --listen ADDR:PORT (--key pkcs11:URI | --key-file KEY --cert CRT)\n"
		"  kyso render transcript|gradebook --data FILE.json --out FILE | --out-dir DIR\n"
		"  kyso trust list [--trust FILE|DIR]... [--json]\n"
		"  kyso trust check --cert PEM [--issuer PEM] [--offline] [--json] ...\n"
		"  kyso serve [--config FILE] [--listen ADDRESS:PORT]\n"
		"  kyso client add NAME --grant KEY... --ops sign,prepare,timestamp,verify\n"
		"  kyso client list | kyso client revoke NAME\n"
		"  kyso audit verify | proof --digest HEX | check --proof FILE --pub PEM\n"
		"  kyso agent --origin URL... [--listen 127.0.0.1:PORT] [--session-ttl 8h]\n"
		"  kyso activate --key NAME --holder-key FILE [--ttl S] FILE... | --session N\n"
		"  kyso <command> --help   the options of one command\n"
		"\n"
		"files and options (docs/cli.md):\n"
		"  inputs are regular files; a device, FIFO or directory is refused\n"
		"  --out is written atomically (temporary file, fsync, rename): a new file\n"
		"  gets 0666 minus the umask, a replaced file keeps its mode; a symbolic\n"
		"  link is followed to a regular file; a device, FIFO or directory is\n"
		"  refused; '--out -' writes to standard output once the result is\n"
		"  complete; a signal leaves no temporary file behind\n"
		"  each option at most once\n"
		"  a token that is briefly unreadable (another process logging in) is\n"
		"  tried again for up to 2 s; each retry is logged at info level\n"
		"exit status:\n"
		"  sign, keys, tokens: 0 done, 1 PIN or key password refused or missing\n"
		"                      (keys: also no key matches), 3 any other error\n"
		"  sign --batch: also 5 some files failed (the others signed), 6 stopped\n"
		"  verify: 0 TOTAL-PASSED, 1 TOTAL-FAILED, 2 INDETERMINATE, 3 usage or I/O error\n"
		"\n"
		"options for every command:\n"
		"  --help       this text\n"
		"  --version    print the version\n"
		"environment:\n"
		"  KYSO_LOG       log level: debug, info, warn (default), error, off\n"
		"  KYSO_PIN       token PIN (otherwise pin-source/pin-value or a prompt)\n"
		"  KYSO_KEY_PASS  password of an encrypted PEM key or PKCS#12 file\n");
}

int main(int argc, char **argv)
{
	const char *lvl = getenv("KYSO_LOG");
	enum ks_log_level level;
	size_t i;

	/* A signal that ends the process first removes the temporary file of
	 * an output being written. */
	ks_io_cleanup_on_signals();
	if (lvl != NULL) {
		if (ks_log_level_parse(lvl, &level) < 0) {
			fprintf(stderr, "kyso: KYSO_LOG: %s\n", ks_err_msg());
			return KS_EXIT_USAGE;
		}
		ks_log_set_level(level);
	}
	if (argc < 2) {
		usage(stderr);
		return KS_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("kyso %s\n", KS_VERSION);
		return KS_EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return KS_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "kyso: unknown command '%s' (try kyso --help)\n", argv[1]);
	return KS_EXIT_USAGE;
}
