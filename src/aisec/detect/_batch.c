/*
 * aisec.detect._batch: the per-finding bookkeeping of a detection pass, in C.
 *
 * On text dense with findings (thousands per 100 KB), ranking findings to keep the
 * disjoint ones and splitting a batch's findings back into per-text lists cost more in
 * Python than the search itself. These are the same two steps as the Python functions
 * they stand in for, with the same order and ties:
 *
 *   keep_ranked(findings, priority, default) -- `aisec.detect.pii.detector.resolve_overlaps`:
 *       rank by score (high first), kind priority, length (long first), start, then input
 *       order; keep each finding that overlaps none kept before it; text order.
 *   split(findings, src, original_length, starts, lengths) -- `JoinedBatch.split`.
 *
 * Findings are `aisec.detect.base.Finding` named tuples; new ones are made as instances
 * of the same class. tests/detect/test_batch_native.py holds both to the Python versions.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { F_KIND, F_START, F_END, F_SCORE, F_DETECTOR, F_VERSION, F_VALUE, F_FIELDS };

static int field_ssize(PyObject *f, int i, Py_ssize_t *out) {
    *out = PyLong_AsSsize_t(PyTuple_GET_ITEM(f, i));
    return (*out == -1 && PyErr_Occurred()) ? -1 : 0;
}

static PyObject *as_findings(PyObject *seq) {
    PyObject *fast = PySequence_Fast(seq, "findings must be a sequence");
    if (!fast) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *f = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyTuple_Check(f) || PyTuple_GET_SIZE(f) != F_FIELDS) {
            Py_DECREF(fast);
            PyErr_SetString(PyExc_TypeError, "findings must be Finding tuples");
            return NULL;
        }
    }
    return fast;
}

/* ---- keep_ranked ------------------------------------------------------------------- */

typedef struct {
    double score;
    long priority;
    Py_ssize_t start, end, index;
} Ranked;

static int cmp_ranked(const void *pa, const void *pb) {
    const Ranked *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->priority != b->priority) return a->priority < b->priority ? -1 : 1;
    Py_ssize_t la = a->end - a->start, lb = b->end - b->start;
    if (la != lb) return la > lb ? -1 : 1;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

/* `keep_disjoint`: kept spans sorted by start in ``starts``/``ends``; returns the insert
 * position, or -1 when [s, e) overlaps a kept span */
static Py_ssize_t disjoint_slot(const Py_ssize_t *starts, const Py_ssize_t *ends, Py_ssize_t n, Py_ssize_t s,
                                Py_ssize_t e) {
    Py_ssize_t lo = 0, hi = n; /* bisect_right(starts, s) */
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (s < starts[mid]) hi = mid;
        else lo = mid + 1;
    }
    if ((lo > 0 && ends[lo - 1] > s) || (lo < n && starts[lo] < e)) return -1;
    return lo;
}

static PyObject *keep_ranked(PyObject *module, PyObject *args) {
    PyObject *seq, *priority;
    long fallback;
    if (!PyArg_ParseTuple(args, "OO!l", &seq, &PyDict_Type, &priority, &fallback)) return NULL;
    PyObject *fast = as_findings(seq);
    if (!fast) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    PyObject *result = NULL;
    Ranked *r = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *r);
    Py_ssize_t *starts = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *starts);
    Py_ssize_t *ends = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *ends);
    Py_ssize_t *kept = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *kept);
    if (!r || !starts || !ends || !kept) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *f = items[i];
        r[i].index = i;
        if (field_ssize(f, F_START, &r[i].start) < 0 || field_ssize(f, F_END, &r[i].end) < 0) goto done;
        r[i].score = PyFloat_AsDouble(PyTuple_GET_ITEM(f, F_SCORE));
        if (r[i].score == -1.0 && PyErr_Occurred()) goto done;
        PyObject *p = PyDict_GetItemWithError(priority, PyTuple_GET_ITEM(f, F_KIND));
        if (!p && PyErr_Occurred()) goto done;
        r[i].priority = p ? PyLong_AsLong(p) : fallback;
        if (r[i].priority == -1 && PyErr_Occurred()) goto done;
    }
    qsort(r, (size_t)n, sizeof *r, cmp_ranked);
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t slot = disjoint_slot(starts, ends, m, r[i].start, r[i].end);
        if (slot < 0) continue;
        memmove(starts + slot + 1, starts + slot, (size_t)(m - slot) * sizeof *starts);
        memmove(ends + slot + 1, ends + slot, (size_t)(m - slot) * sizeof *ends);
        memmove(kept + slot + 1, kept + slot, (size_t)(m - slot) * sizeof *kept);
        starts[slot] = r[i].start;
        ends[slot] = r[i].end;
        kept[slot] = r[i].index;
        m++;
    }
    result = PyList_New(m);
    if (!result) goto done;
    for (Py_ssize_t i = 0; i < m; i++) {
        PyObject *f = items[kept[i]];
        Py_INCREF(f);
        PyList_SET_ITEM(result, i, f);
    }
done:
    PyMem_Free(r);
    PyMem_Free(starts);
    PyMem_Free(ends);
    PyMem_Free(kept);
    Py_DECREF(fast);
    return result;
}

/* ---- split ------------------------------------------------------------------------- */

typedef struct {
    Py_ssize_t which, start, end, index;
    PyObject *kind;
} Placed;

static int cmp_placed(const void *pa, const void *pb) {
    const Placed *a = pa, *b = pb;
    if (a->which != b->which) return a->which < b->which ? -1 : 1;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    if (a->end != b->end) return a->end > b->end ? -1 : 1;
    if (a->kind != b->kind) {
        int c = PyUnicode_Compare(a->kind, b->kind);
        if (c) return c;
    }
    return (a->index > b->index) - (a->index < b->index);
}

/* a new finding of ``f``'s class with other offsets */
static PyObject *moved(PyObject *f, Py_ssize_t start, Py_ssize_t end) {
    PyTypeObject *type = Py_TYPE(f);
    PyObject *s = PyLong_FromSsize_t(start), *e = PyLong_FromSsize_t(end);
    if (!s || !e) {
        Py_XDECREF(s);
        Py_XDECREF(e);
        return NULL;
    }
    PyObject *out = type == &PyTuple_Type ? PyTuple_New(F_FIELDS) : type->tp_alloc(type, F_FIELDS);
    if (!out) {
        Py_DECREF(s);
        Py_DECREF(e);
        return NULL;
    }
    int atomic = 1;
    for (int i = 0; i < F_FIELDS; i++) {
        PyObject *v = i == F_START ? s : i == F_END ? e : PyTuple_GET_ITEM(f, i);
        if (i != F_START && i != F_END) Py_INCREF(v);
        PyTuple_SET_ITEM(out, i, v);
        atomic &= v == Py_None || PyUnicode_CheckExact(v) || PyLong_CheckExact(v) || PyFloat_CheckExact(v);
    }
    /* nothing but strings, numbers and None: no cycle can pass through it (see
     * make_finding in pii/_hs.h) */
    if (atomic && type != &PyTuple_Type) PyObject_GC_UnTrack(out);
    return out;
}

static int as_ssize_array(PyObject *seq, Py_ssize_t **out, Py_ssize_t *n) {
    PyObject *fast = PySequence_Fast(seq, "starts and lengths must be sequences of int");
    if (!fast) return -1;
    *n = PySequence_Fast_GET_SIZE(fast);
    *out = PyMem_Malloc((size_t)(*n ? *n : 1) * sizeof **out);
    if (!*out) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < *n; i++) {
        (*out)[i] = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(fast, i));
        if ((*out)[i] == -1 && PyErr_Occurred()) {
            Py_DECREF(fast);
            return -1;
        }
    }
    Py_DECREF(fast);
    return 0;
}

static PyObject *split(PyObject *module, PyObject *args) {
    PyObject *seq, *src_obj, *starts_obj, *lengths_obj;
    Py_ssize_t text_len, original_len;
    if (!PyArg_ParseTuple(args, "OOnnOO", &seq, &src_obj, &text_len, &original_len, &starts_obj, &lengths_obj))
        return NULL;
    PyObject *fast = as_findings(seq);
    if (!fast) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast), n_texts = 0, n_lengths = 0;
    PyObject **items = PySequence_Fast_ITEMS(fast);
    PyObject *result = NULL;
    Py_ssize_t *tstarts = NULL, *tlengths = NULL;
    Placed *p = NULL;
    Py_buffer src = {0};
    int have_src = 0;
    if (as_ssize_array(starts_obj, &tstarts, &n_texts) < 0 || as_ssize_array(lengths_obj, &tlengths, &n_lengths) < 0)
        goto done;
    if (n_texts != n_lengths || n_texts == 0) {
        PyErr_SetString(PyExc_ValueError, "starts and lengths must be as long as each other, and not empty");
        goto done;
    }
    if (src_obj != Py_None) {
        if (PyObject_GetBuffer(src_obj, &src, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) goto done;
        have_src = 1;
        if (src.itemsize != 8 || src.len / 8 != text_len) {
            PyErr_SetString(PyExc_ValueError, "src must hold one int64 per normalised character");
            goto done;
        }
    }
    const int64_t *map = have_src ? src.buf : NULL;
    p = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *p);
    if (!p) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *f = items[i];
        Py_ssize_t s, e;
        if (field_ssize(f, F_START, &s) < 0 || field_ssize(f, F_END, &e) < 0) goto done;
        if (map) { /* NormalizedText.to_original */
            if (s < 0 || e < s || e > text_len) {
                PyErr_Format(PyExc_ValueError, "a finding lies outside the normalised text of length %zd", text_len);
                goto done;
            }
            if (s == e) s = e = s < text_len ? (Py_ssize_t)map[s] : original_len;
            else {
                Py_ssize_t ms = (Py_ssize_t)map[s];
                e = (Py_ssize_t)map[e - 1] + 1;
                s = ms;
            }
        }
        /* the text that holds the start: searchsorted(starts, s, "right") - 1 */
        Py_ssize_t lo = 0, hi = n_texts;
        while (lo < hi) {
            Py_ssize_t mid = (lo + hi) / 2;
            if (s < tstarts[mid]) hi = mid;
            else lo = mid + 1;
        }
        Py_ssize_t which = lo - 1;
        if (which < 0) continue;
        Py_ssize_t local_start = s - tstarts[which], local_end = e - tstarts[which];
        if (local_end > tlengths[which]) local_end = tlengths[which];
        if (local_start >= tlengths[which] || local_end <= local_start) continue;
        p[m++] = (Placed){which, local_start, local_end, i, PyTuple_GET_ITEM(f, F_KIND)};
    }
    qsort(p, (size_t)m, sizeof *p, cmp_placed);
    if (PyErr_Occurred()) goto done; /* a kind that is not a str */
    result = PyList_New(n_texts);
    if (!result) goto done;
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *l = PyList_New(0);
        if (!l) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, t, l);
    }
    for (Py_ssize_t i = 0; i < m; i++) {
        PyObject *f = moved(items[p[i].index], p[i].start, p[i].end);
        if (!f || PyList_Append(PyList_GET_ITEM(result, p[i].which), f) < 0) {
            Py_XDECREF(f);
            Py_CLEAR(result);
            goto done;
        }
        Py_DECREF(f);
    }
done:
    if (have_src) PyBuffer_Release(&src);
    PyMem_Free(tstarts);
    PyMem_Free(tlengths);
    PyMem_Free(p);
    Py_DECREF(fast);
    return result;
}

static PyMethodDef methods[] = {
    {"keep_ranked", keep_ranked, METH_VARARGS,
     "keep_ranked(findings, priority: dict[str, int], default: int) -> list\n\n"
     "resolve_overlaps: the disjoint best findings, in text order."},
    {"split", split, METH_VARARGS,
     "split(findings, src, text_length, original_length, starts, lengths) -> list[list]\n\n"
     "JoinedBatch.split: per-text findings with per-text offsets (src: the offset map of\n"
     "the normalised joined text as int64, or None for none)."},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_batch",
    .m_doc = "Ranking and splitting findings in C (see _batch.c).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__batch(void) { return PyModule_Create(&module); }
