/* The format of a document from its bytes (signer/ks_job.h,
 * ks_format_sniff) and from its name or first bytes (ks_format_of): a
 * PDF header, XML ('<' after white space and then text, or UTF-16), and
 * everything else CMS; a binary file that merely starts with '<' or with
 * a byte order mark is no XML. */
#include "ks_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "signer/ks_job.h"

#define SNIFF(lit) ks_format_sniff((const uint8_t *)(lit), sizeof(lit) - 1)

static void test_sniff(void **state)
{
	static uint8_t big[100000];
	uint8_t spaces[80];

	(void)state;
	assert_int_equal(SNIFF("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), KS_FORMAT_PDF);
	assert_int_equal(SNIFF("<?xml version=\"1.0\"?><r/>"), KS_FORMAT_XML);
	assert_int_equal(SNIFF("\xef\xbb\xbf \r\n\t<hocba lop=\"12A1\">Nguy\xe1\xbb\x85n</hocba>"),
			 KS_FORMAT_XML);
	assert_int_equal(SNIFF("<r"), KS_FORMAT_XML);
	/* UTF-16, with or without a byte order mark: XML, for the XML
	 * reader to refuse by name */
	assert_int_equal(SNIFF("\xff\xfe<\0r\0/\0>\0"), KS_FORMAT_XML);
	assert_int_equal(SNIFF("\xfe\xff\0<\0r\0/\0>"), KS_FORMAT_XML);
	assert_int_equal(SNIFF("<\0r\0/\0>\0"), KS_FORMAT_XML);
	assert_int_equal(SNIFF("\xff\xfe\0\0<\0\0\0r\0\0\0"), KS_FORMAT_XML);
	assert_int_equal(SNIFF("\0\0\xfe\xff\0\0\0<\0\0\0r"), KS_FORMAT_XML);
	/* binary */
	assert_int_equal(SNIFF("<\x01\x02\x03\x89PNG"), KS_FORMAT_CMS);
	assert_int_equal(SNIFF("<ab\x1b[0m"), KS_FORMAT_CMS);
	assert_int_equal(SNIFF("\xff\xfe\x12\x34"), KS_FORMAT_CMS);
	assert_int_equal(SNIFF("\xfe\xff\0\0"), KS_FORMAT_CMS);
	assert_int_equal(SNIFF("\xff\xfe\0\0\x12\x34\x56\x78"), KS_FORMAT_CMS);
	assert_int_equal(SNIFF("\x30\x82\x01\x00\x06\x09"), KS_FORMAT_CMS);
	assert_int_equal(SNIFF("%PDF"), KS_FORMAT_CMS);
	assert_int_equal(SNIFF("plain text"), KS_FORMAT_CMS);
	assert_int_equal(ks_format_sniff((const uint8_t *)"", 0), KS_FORMAT_CMS);
	/* white space before the '<': 64 bytes at most */
	memset(spaces, ' ', sizeof(spaces));
	spaces[64] = '<';
	assert_int_equal(ks_format_sniff(spaces, 70), KS_FORMAT_XML);
	memset(spaces, ' ', sizeof(spaces));
	spaces[65] = '<';
	assert_int_equal(ks_format_sniff(spaces, 70), KS_FORMAT_CMS);
	/* only the head is looked at: text there, binary after it */
	memset(big, 'a', sizeof(big));
	big[0] = '<';
	big[sizeof(big) - 1] = 0;
	assert_int_equal(ks_format_sniff(big, sizeof(big)), KS_FORMAT_XML);
	big[30] = 0x01;
	assert_int_equal(ks_format_sniff(big, sizeof(big)), KS_FORMAT_CMS);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void test_format_of(void **state)
{
	char dir[] = "/tmp/kyso-sniff.XXXXXX", path[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.bin", dir);
	write_file(path, "<\x01\x02\x03", 4);
	assert_int_equal(ks_format_of(path), KS_FORMAT_CMS);
	write_file(path, "<r>x</r>", 8);
	assert_int_equal(ks_format_of(path), KS_FORMAT_XML);
	assert_int_equal(unlink(path), 0);
	/* the name first */
	snprintf(path, sizeof(path), "%s/a.xml", dir);
	write_file(path, "\x01\x02", 2);
	assert_int_equal(ks_format_of(path), KS_FORMAT_XML);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/a.pdf", dir);
	write_file(path, "<r/>", 4);
	assert_int_equal(ks_format_of(path), KS_FORMAT_PDF);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_format_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
