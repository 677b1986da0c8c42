/* Plain driver for the libFuzzer harnesses: replays every file of the
 * seed corpus directories (or files) given on the command line through
 * LLVMFuzzerTestOneInput, so `make test` runs the harnesses without
 * libFuzzer.  Prints one TAP line per input; a crash fails the run. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ks_buf.h"
#include "ks_io.h"

#define REPLAY_MAX_INPUT ((size_t)16 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, int *n)
{
	struct ks_buf b;
	static const uint8_t empty[1];

	ks_buf_init(&b, REPLAY_MAX_INPUT);
	if (ks_file_read(path, REPLAY_MAX_INPUT, &b) < 0) {
		printf("not ok %d - %s (unreadable)\n", ++*n, path);
		ks_buf_cleanup(&b);
		return -1;
	}
	LLVMFuzzerTestOneInput(b.len > 0 ? b.data : empty, b.len);
	printf("ok %d - %s\n", ++*n, path);
	ks_buf_cleanup(&b);
	return 0;
}

static int replay(const char *path, int *n)
{
	struct stat st;
	struct dirent **ents = NULL;
	int k, cnt, rc = 0;

	if (stat(path, &st) != 0) {
		printf("not ok %d - %s (missing)\n", ++*n, path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, n);
	cnt = scandir(path, &ents, NULL, alphasort);
	for (k = 0; k < cnt; k++) {
		char full[4096];

		if (ents[k]->d_name[0] != '.' &&
		    (size_t)snprintf(full, sizeof(full), "%s/%s", path, ents[k]->d_name) <
			sizeof(full) &&
		    replay(full, n) < 0)
			rc = -1;
		free(ents[k]);
	}
	free(ents);
	return rc;
}

int main(int argc, char **argv)
{
	int i, n = 0, rc = 0;

	for (i = 1; i < argc; i++)
		if (replay(argv[i], &n) < 0)
			rc = 1;
	printf("1..%d\n", n);
	return rc;
}
