/*
 * What the PII detector's C parts (_core.c, _names.c, _address.c, _names_en.c,
 * _address_en.c) share: around Hyperscan's C library, collecting matches,
 * byte-to-character offsets, building a database (compiled, or loaded from the on-disk
 * cache) and serialising it; and making findings (`round3`, `make_finding`).
 *
 * Each extension includes this file; everything here is static inline.
 */
#ifndef AISEC_PII_HS_H
#define AISEC_PII_HS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <hs/hs.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* every match Hyperscan reports, in report order */
typedef struct {
    unsigned int id;
    unsigned long long start, end; /* byte offsets (start: 0 without SOM) */
} HsHit;

typedef struct {
    HsHit *items;
    size_t n, cap;
    int failed; /* out of memory: the scan was stopped */
} HsHits;

static inline int hs_collect(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                      void *ctx) {
    (void)flags;
    HsHits *h = ctx;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        HsHit *items = PyMem_Realloc(h->items, cap * sizeof *items);
        if (!items) {
            h->failed = 1;
            return 1; /* stop scanning */
        }
        h->items = items;
        h->cap = cap;
    }
    h->items[h->n++] = (HsHit){id, from, to};
    return 0;
}

/* scan ``buf`` with ``db``, appending to ``hits``; -1 with an exception set on failure */
static inline int hs_collect_all(const hs_database_t *db, hs_scratch_t *scratch, const Py_buffer *buf, HsHits *hits) {
    if (buf->len > 0xFFFFFFFFLL) {
        PyErr_SetString(PyExc_ValueError, "text too long for one scan (over 4 GB)");
        return -1;
    }
    if (buf->len == 0) return 0;
    hs_error_t err = hs_scan(db, buf->buf, (unsigned int)buf->len, 0, scratch, hs_collect, hits);
    if (hits->failed) {
        PyErr_NoMemory();
        return -1;
    }
    if (err != HS_SUCCESS && err != HS_SCAN_TERMINATED) {
        PyErr_Format(PyExc_RuntimeError, "Hyperscan scan failed (error %d)", (int)err);
        return -1;
    }
    return 0;
}

/* ``db`` from ``blob`` (a serialised database: the cache) when it is not None, else
 * compiled from the expressions (literals when ``lens`` is given); -1 with an exception */
static inline int hs_build(hs_database_t **db, PyObject *blob, const char *const *exprs, const unsigned int *flags,
                    const unsigned int *ids, const size_t *lens, unsigned int n) {
    *db = NULL;
    if (blob != Py_None) {
        char *b;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(blob, &b, &len) < 0) return -1;
        if (hs_deserialize_database(b, (size_t)len, db) != HS_SUCCESS) {
            *db = NULL;
            PyErr_SetString(PyExc_ValueError, "the serialised database is not usable here");
            return -1;
        }
        return 0;
    }
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "no patterns");
        return -1;
    }
    hs_compile_error_t *err = NULL;
    hs_error_t r = lens ? hs_compile_lit_multi(exprs, flags, ids, lens, n, HS_MODE_BLOCK, NULL, db, &err)
                        : hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, db, &err);
    if (r != HS_SUCCESS) {
        PyErr_Format(PyExc_ValueError, "Hyperscan could not compile pattern %d: %s", err ? err->expression : -1,
                     err ? err->message : "?");
        hs_free_compile_error(err);
        *db = NULL;
        return -1;
    }
    return 0;
}

/* ``hs_build`` from Python sequences: ``exprs_obj`` of bytes, ``flags_obj`` of int (NULL:
 * all 0), ids from ``first_id`` on; literals when ``literal`` */
static inline int hs_build_from(hs_database_t **db, PyObject *blob, PyObject *exprs_obj, PyObject *flags_obj,
                                unsigned int first_id, int literal) {
    if (blob != Py_None) return hs_build(db, blob, NULL, NULL, NULL, NULL, 0);
    PyObject *ef = PySequence_Fast(exprs_obj, "expressions must be a sequence of bytes");
    PyObject *ff = ef && flags_obj ? PySequence_Fast(flags_obj, "flags must be a sequence of int") : NULL;
    int rc = -1;
    const char **exprs = NULL;
    size_t *lens = NULL;
    unsigned int *flags = NULL, *ids = NULL;
    if (!ef || (flags_obj && !ff)) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(ef);
    if (ff && PySequence_Fast_GET_SIZE(ff) != n) {
        PyErr_SetString(PyExc_ValueError, "expressions and flags must be as long as each other");
        goto done;
    }
    exprs = PyMem_Calloc((size_t)(n ? n : 1), sizeof *exprs);
    lens = PyMem_Calloc((size_t)(n ? n : 1), sizeof *lens);
    flags = PyMem_Calloc((size_t)(n ? n : 1), sizeof *flags);
    ids = PyMem_Calloc((size_t)(n ? n : 1), sizeof *ids);
    if (!exprs || !lens || !flags || !ids) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        char *e;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(PySequence_Fast_GET_ITEM(ef, i), &e, &len) < 0) goto done;
        exprs[i] = e;
        lens[i] = (size_t)len;
        flags[i] = ff ? (unsigned int)PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(ff, i)) : 0;
        ids[i] = first_id + (unsigned int)i;
        if (PyErr_Occurred()) goto done;
    }
    rc = hs_build(db, Py_None, exprs, flags, ids, literal ? lens : NULL, (unsigned int)n);
done:
    PyMem_Free(exprs);
    PyMem_Free(lens);
    PyMem_Free(flags);
    PyMem_Free(ids);
    Py_XDECREF(ef);
    Py_XDECREF(ff);
    return rc;
}

/* the serialised database, as bytes */
static inline PyObject *hs_serialized(const hs_database_t *db) {
    char *blob = NULL;
    size_t len = 0;
    if (!db || hs_serialize_database(db, &blob, &len) != HS_SUCCESS) {
        PyErr_SetString(PyExc_RuntimeError, "Hyperscan could not serialise the database");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(blob, (Py_ssize_t)len);
    free(blob); /* allocated by Hyperscan's misc allocator: malloc */
    return out;
}

/* the module of a PII C part: ``type`` under ``type_name`` and HYPERSCAN_VERSION (a cache
 * key of the serialised databases); a new reference, or NULL with an exception set */
static inline PyObject *hs_module(PyModuleDef *def, PyTypeObject *type, const char *type_name) {
    if (PyType_Ready(type) < 0) return NULL;
    PyObject *m = PyModule_Create(def);
    if (!m) return NULL;
    Py_INCREF(type);
    if (PyModule_AddObject(m, type_name, (PyObject *)type) < 0) {
        Py_DECREF(type);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddStringConstant(m, "HYPERSCAN_VERSION", hs_version()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

/* ---- Python's character classes, for the parts that reproduce `re` on str ------------ */

/* re's \d: str.isdecimal() of one character (false for anything past U+10FFFF, which the
 * finders use as "no character") */
static inline int re_digit(Py_UCS4 c) {
    if (c < 128) return c - '0' < 10u;
    return c <= 0x10FFFF && Py_UNICODE_ISDECIMAL(c);
}
/* str.isalnum() of one character (as above past U+10FFFF) */
static inline int re_alnum(Py_UCS4 c) {
    if (c < 128) return c - '0' < 10u || (c | 0x20) - 'a' < 26u;
    return c <= 0x10FFFF && Py_UNICODE_ISALNUM(c);
}
/* re's \w */
static inline int re_word(Py_UCS4 c) { return c == '_' || re_alnum(c); }

/* how many bytes of d[from:to] start a character (are not 10xxxxxx), eight at a time */
static inline Py_ssize_t count_leads(const uint8_t *d, Py_ssize_t from, Py_ssize_t to) {
    const uint64_t ones = 0x0101010101010101ULL, pairs = 0x00FF00FF00FF00FFULL;
    Py_ssize_t cont = 0, i = from;
    while (i + 8 <= to) {
        uint64_t lanes = 0; /* per byte: continuation bytes seen, at most 255 rounds */
        Py_ssize_t stop = to - i > 8 * 255 ? i + 8 * 255 : to;
        for (; i + 8 <= stop; i += 8) {
            uint64_t x;
            memcpy(&x, d + i, 8);
            lanes += ((x & ~(x << 1)) >> 7) & ones; /* bit 7 set, bit 6 clear */
        }
        lanes = (lanes & pairs) + ((lanes >> 8) & pairs);
        cont += (Py_ssize_t)((lanes * 0x0001000100010001ULL) >> 48);
    }
    for (; i < to; i++) cont += (d[i] & 0xC0) == 0x80;
    return (to - from) - cont;
}

/* the character offsets of byte offsets at character boundaries, counted on from the last
 * one asked: offsets in ascending order (as Hyperscan reports ends) cost one pass over the
 * text in all, without a map of every byte; an earlier offset counts again from the start */
typedef struct {
    const uint8_t *d;
    Py_ssize_t byte, chars;
} CharCounter;

static inline Py_ssize_t char_of(CharCounter *c, Py_ssize_t b) {
    if (b < c->byte) c->byte = c->chars = 0;
    c->chars += count_leads(c->d, c->byte, b);
    c->byte = b;
    return c->chars;
}

/* ``round(x, 3)`` exactly as Python computes it (the decimal correctly rounded, ties to
 * even, from x's exact binary value; then the nearest double): x * 1000 is exact in an
 * x87/quad long double (53 + 10 bits), nearbyintl rounds it ties to even, and the
 * division by 1000 is correctly rounded, as Python's reading of the digits is. Where long
 * double is too short, Python's own round. -1 with an exception set on failure. */
static inline int round3(double x, double *out) {
#if LDBL_MANT_DIG >= 64
    *out = (double)nearbyintl((long double)x * 1000.0L) / 1000.0;
    return 0;
#else
    PyObject *f = PyFloat_FromDouble(x);
    if (!f) return -1;
    PyObject *r = PyObject_CallMethod(f, "__round__", "i", 3);
    Py_DECREF(f);
    if (!r) return -1;
    *out = PyFloat_AsDouble(r);
    Py_DECREF(r);
    return (*out == -1.0 && PyErr_Occurred()) ? -1 : 0;
#endif
}

/* ``type(kind, start, end, score, detector, version, None)`` for a `Finding` class
 * ``type`` (a tuple subclass of seven fields) and ``reporter`` = (kind, detector,
 * version); a new reference, or NULL with an exception set.
 *
 * A tuple of strings, numbers and None cannot take part in a reference cycle, so the
 * finding is taken off the garbage collector's list, as CPython does with such plain
 * tuples (but not with tuple subclasses). Findings are most of what detection allocates,
 * and walking them cost up to a tenth of the time on text dense with personal data. */
static inline PyObject *make_finding(PyTypeObject *type, PyObject *reporter, Py_ssize_t start, Py_ssize_t end,
                                     double score) {
    PyObject *item = type->tp_alloc(type, 7);
    if (!item) return NULL;
    PyObject *vals[7] = {PyTuple_GET_ITEM(reporter, 0), PyLong_FromSsize_t(start), PyLong_FromSsize_t(end),
                         PyFloat_FromDouble(score), PyTuple_GET_ITEM(reporter, 1), PyTuple_GET_ITEM(reporter, 2),
                         Py_None};
    for (int k = 0; k < 7; k++) {
        if (k == 0 || k >= 4) Py_INCREF(vals[k]);
        PyTuple_SET_ITEM(item, k, vals[k]);
    }
    if (!vals[1] || !vals[2] || !vals[3]) Py_CLEAR(item);
    else if (PyUnicode_CheckExact(vals[0]) && PyUnicode_CheckExact(vals[4]) && PyUnicode_CheckExact(vals[5]))
        PyObject_GC_UnTrack(item);
    return item;
}

/* ``finding`` as the C parts take it: a (Finding class, (kind, detector, version)) pair,
 * checked; 0 or -1 with an exception set */
static inline int finding_spec(PyObject *finding, PyTypeObject **type, PyObject **reporter) {
    PyObject *t, *r;
    if (!PyTuple_Check(finding) || PyTuple_GET_SIZE(finding) != 2) goto bad;
    t = PyTuple_GET_ITEM(finding, 0);
    r = PyTuple_GET_ITEM(finding, 1);
    if (!PyType_Check(t) || !PyType_IsSubtype((PyTypeObject *)t, &PyTuple_Type) || !PyTuple_Check(r)
        || PyTuple_GET_SIZE(r) != 3)
        goto bad;
    *type = (PyTypeObject *)t;
    *reporter = r;
    return 0;
bad:
    PyErr_SetString(PyExc_TypeError, "finding must be (a Finding class, (kind, detector, version))");
    return -1;
}

#endif
