/* ks_render_qr: the verification URL of a document and its QR code. */
#include <errno.h>
#include <qrencode.h>
#include <string.h>

#include "formats/render/ks_render_int.h"

/* Modules of white around the symbol (ISO/IEC 18004 quiet zone). */
#define QR_QUIET 4

/* Medium error correction (15% of the symbol can be lost: a stamp, a
 * fold); each row's dark runs drawn as one rectangle. */
int ks_rd_qr(struct ks_rd *d, double x, double y, double size)
{
	HPDF_Page p = d->pages[d->n_pages - 1];
	QRcode *q;
	double m;
	int r, c, start;

	errno = 0;
	q = QRcode_encodeString(d->url, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL)
		return KS_SET(errno == ERANGE ? KS_ERR_LIMIT : KS_ERR_INTERNAL,
			      "QR code of the verification URL: %s", strerror(errno));
	m = size / (q->width + 2 * QR_QUIET);
	HPDF_Page_GSave(p);
	HPDF_Page_SetGrayFill(p, 0);
	for (r = 0; r < q->width; r++) {
		for (c = 0; c < q->width; c = start) {
			start = c + 1;
			if (!(q->data[r * q->width + c] & 1))
				continue;
			while (start < q->width && (q->data[r * q->width + start] & 1))
				start++;
			HPDF_Page_Rectangle(p, (HPDF_REAL)(x + (QR_QUIET + c) * m),
					    (HPDF_REAL)(y + size - (QR_QUIET + r + 1) * m),
					    (HPDF_REAL)((start - c) * m), (HPDF_REAL)m);
		}
	}
	HPDF_Page_Fill(p);
	HPDF_Page_GRestore(p);
	QRcode_free(q);
	return ks_rd_check(d);
}
