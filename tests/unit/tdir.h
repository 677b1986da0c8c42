/* A fresh temporary directory per test (cmocka setup and teardown), and
 * paths inside it.  TMPDIR is honoured; the teardown removes the whole
 * tree. */
#ifndef KS_TEST_TDIR_H
#define KS_TEST_TDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#ifndef TDIR_PREFIX
#define TDIR_PREFIX "kyso-test"
#endif

struct tdir {
	char dir[256];
	char path[512]; /* scratch for tpath() */
};

static int tdir_setup(void **state)
{
	struct tdir *t = calloc(1, sizeof(*t));
	const char *base = getenv("TMPDIR");

	if (t == NULL)
		return -1;
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(t->dir, sizeof(t->dir), "%s/" TDIR_PREFIX ".XXXXXX", base);
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int tdir_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int tdir_teardown(void **state)
{
	struct tdir *t = *state;
	int rc = nftw(t->dir, tdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(t);
	return rc == 0 ? 0 : -1;
}

static const char *tpath(struct tdir *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	return t->path;
}

#endif
