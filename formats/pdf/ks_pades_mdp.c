/* Certification and field locks of a signature (ISO 32000-1 12.8.2.2
 * DocMDP, 12.8.2.4 FieldMDP, 12.7.4.5 the /Lock of a signature field). */
#include <stdlib.h>
#include <string.h>

#include "formats/pdf/ks_pades_int.h"
#include "ks_size.h"

static int lock_names(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *arr,
		      struct ks_pv_lock *lk)
{
	const struct ks_pdfobj *it;
	struct ks_buf b;
	size_t i;
	int rc = -1;

	ks_buf_init(&b, KS_PADES_VERIFY_TEXT_MAX);
	if (arr == NULL || arr->type != KS_PDFOBJ_ARRAY)
		return 0;
	lk->names = calloc(arr->u.arr.n + 1, sizeof(*lk->names));
	if (lk->names == NULL)
		KS_BAIL(KS_ERR_NOMEM, "out of memory");
	for (i = 0; i < arr->u.arr.n && i < KS_PADES_VERIFY_MAX_LOCK_NAMES; i++) {
		if (ks_pdfdoc_resolve(doc, rev, arr->u.arr.items[i], &it) < 0) {
			if (ks_err_is_fatal())
				goto out;
			continue;
		}
		ks_buf_reset(&b);
		if (it == NULL || it->type != KS_PDFOBJ_STRING || ks_pdfobj_text_utf8(it, &b) < 0 ||
		    ks_buf_append_byte(&b, 0) < 0) {
			if (ks_err_is_fatal())
				goto out;
			continue;
		}
		lk->names[lk->n] = strdup((const char *)b.data);
		if (lk->names[lk->n] == NULL)
			KS_BAIL(KS_ERR_NOMEM, "out of memory");
		lk->n++;
	}
	rc = 0;
out:
	ks_buf_cleanup(&b);
	return rc;
}

/* A FieldMDP-like lock (/Action /Fields) from a transform parameters or
 * /Lock dictionary (ISO 32000-1 Table 233, 12.7.4.5 Table 232). */
static int add_lock(struct ks_pdfdoc *doc, size_t rev, const struct ks_pdfobj *params,
		    struct ks_pv_locks *locks)
{
	const struct ks_pdfobj *act = NULL, *fields = NULL;
	struct ks_pv_lock *lk;
	size_t cap;

	if (ks_pdfdoc_dict_get(doc, rev, params, "Action", &act) < 0 ||
	    ks_pdfdoc_dict_get(doc, rev, params, "Fields", &fields) < 0)
		return ks_err_is_fatal() ? -1 : 0;
	if (act == NULL || act->type != KS_PDFOBJ_NAME)
		return 0;
	cap = locks->n;
	if (ks_grow_to((void **)&locks->v, &cap, locks->n + 1, sizeof(*locks->v)) < 0)
		return -1;
	lk = &locks->v[locks->n];
	memset(lk, 0, sizeof(*lk));
	lk->rev = rev;
	if (ks_pdfobj_is_name(act, "All"))
		lk->action = PV_LOCK_ALL;
	else if (ks_pdfobj_is_name(act, "Include"))
		lk->action = PV_LOCK_INCLUDE;
	else if (ks_pdfobj_is_name(act, "Exclude"))
		lk->action = PV_LOCK_EXCLUDE;
	else
		lk->action = PV_LOCK_ALL; /* unknown action: lock everything, to be safe */
	locks->n++;
	return lock_names(doc, rev, fields, lk);
}

bool ks_pv_lock_covers(const struct ks_pv_lock *lk, const char *name)
{
	size_t i, k;
	bool listed = false;

	for (i = 0; i < lk->n && !listed; i++) {
		k = strlen(lk->names[i]);
		/* A name locks its field and the fields below it (12.7.3.2). */
		listed = strncmp(lk->names[i], name, k) == 0 && (name[k] == '\0' || name[k] == '.');
	}
	switch (lk->action) {
	case PV_LOCK_ALL:
		return true;
	case PV_LOCK_INCLUDE:
		return listed;
	case PV_LOCK_EXCLUDE:
		return !listed;
	}
	return true;
}

/* The signature's /Reference entries (ISO 32000-1 12.8.1 Table 253):
 * DocMDP (certification, only when the catalog's /Perms names this
 * dictionary, 12.8.2.2) and FieldMDP; and the field's /Lock. */
int ks_pv_transforms(struct ks_pdfdoc *doc, size_t rev, uint32_t sig_num,
		     const struct ks_pdfobj *dict, const struct ks_pdfobj *field,
		     struct ks_pv_locks *locks, struct ks_pades_sig *sig)
{
	const struct ks_pdfobj *refs = NULL, *it, *tm, *tp, *p, *cat, *perms = NULL, *dm, *lock;
	size_t i;
	int64_t pv;
	bool certifies = false;

	if (ks_pdfdoc_catalog(doc, rev, &cat) == 0 &&
	    ks_pdfdoc_dict_get(doc, rev, cat, "Perms", &perms) == 0 && perms != NULL) {
		dm = ks_pdfobj_get(perms, "DocMDP");
		if (dm != NULL && dm->type == KS_PDFOBJ_REF)
			certifies = sig_num != 0 && dm->u.ref.num == sig_num;
		else if (dm != NULL)
			certifies = dm == dict;
	} else if (ks_err_is_fatal()) {
		return -1;
	}
	if (ks_pdfdoc_dict_get(doc, rev, dict, "Reference", &refs) < 0 && ks_err_is_fatal())
		return -1;
	for (i = 0; refs != NULL && refs->type == KS_PDFOBJ_ARRAY && i < refs->u.arr.n; i++) {
		if (ks_pdfdoc_resolve(doc, rev, refs->u.arr.items[i], &it) < 0 ||
		    ks_pdfdoc_dict_get(doc, rev, it, "TransformMethod", &tm) < 0 ||
		    ks_pdfdoc_dict_get(doc, rev, it, "TransformParams", &tp) < 0) {
			if (ks_err_is_fatal())
				return -1;
			continue;
		}
		if (ks_pdfobj_is_name(tm, "DocMDP") && certifies) {
			pv = 2; /* Table 254: default P */
			if (tp != NULL && ks_pdfdoc_dict_get(doc, rev, tp, "P", &p) == 0 &&
			    p != NULL && ks_pdfobj_int(p, &pv) && (pv < 1 || pv > 3))
				pv = 1; /* out of range: the strictest reading */
			sig->docmdp = (int)pv;
		} else if (ks_pdfobj_is_name(tm, "FieldMDP") && tp != NULL) {
			if (add_lock(doc, rev, tp, locks) < 0)
				return -1;
			sig->fieldmdp = true;
		}
	}
	if (certifies && sig->docmdp == 0)
		sig->docmdp = 2; /* /Perms names it but the transform is missing */
	if (field != NULL && ks_pdfdoc_dict_get(doc, rev, field, "Lock", &lock) == 0 &&
	    lock != NULL && lock->type == KS_PDFOBJ_DICT && !sig->fieldmdp) {
		if (add_lock(doc, rev, lock, locks) < 0)
			return -1;
		sig->fieldmdp = true;
	} else if (ks_err_is_fatal()) {
		return -1;
	}
	return 0;
}

void ks_pv_locks_free(struct ks_pv_locks *l)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < l->v[i].n; j++)
			free(l->v[i].names[j]);
		free(l->v[i].names);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
